/*
 * test_catalogue.c — the process catalogue loader (protocol/src/catalogue.c)
 * and the sample branch (assets/catalogue.yaml).
 *
 * What a user relies on: the sample loads with exactly the roster, teams,
 * processes, steps, targets and points written in it (Chinese text byte for
 * byte, the sample PINs really verifying); look-ups find every id and
 * nothing else; and every broken catalogue is refused with exactly one
 * readable line naming the file, the line and what to do — the same from a
 * file and from a string. Bounds are tested at the limit (accepted) and
 * one past it (refused), and every allocation failure is survived without
 * a leak.
 */
#include <setjmp.h>
#include <stdbool.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <sodium.h>

#include "protocol/catalogue.h"

#define SAMPLE STEPWISE_ASSETS "/catalogue.yaml"
#define FIXTURES STEPWISE_TESTDATA "/catalogue/"
#define DOC STEPWISE_ASSETS "/../docs/CATALOGUE.md"

/* ---- Helpers ------------------------------------------------------- */

typedef struct {
    char *p;
    size_t len;
    size_t cap;
} sbuf_t;

__attribute__((format(printf, 2, 3))) static void
sb_printf(sbuf_t *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    assert_true(n >= 0);
    if (b->len + (size_t)n + 1 > b->cap) {
        size_t cap = (b->cap ? b->cap * 2 : 4096) + (size_t)n;
        b->p = realloc(b->p, cap);
        assert_non_null(b->p);
        b->cap = cap;
    }
    va_start(ap, fmt);
    vsnprintf(b->p + b->len, b->cap - b->len, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
}

/* The line the next appended text will start on. */
static int sb_line(const sbuf_t *b)
{
    int line = 1;
    for (size_t i = 0; i < b->len; i++)
        line += b->p[i] == '\n';
    return line;
}

static char *read_all(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    char *buf = NULL;
    size_t n = 0, cap = 0;
    for (;;) {
        if (n == cap) {
            cap = cap ? cap * 2 : 65536;
            buf = realloc(buf, cap);
            assert_non_null(buf);
        }
        size_t r = fread(buf + n, 1, cap - n, f);
        n += r;
        if (r == 0)
            break;
    }
    assert_int_equal(fclose(f), 0);
    *len = n;
    return buf;
}

static void write_all(const char *path, const char *data, size_t len)
{
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(data, 1, len, f), len);
    assert_int_equal(fclose(f), 0);
}

/* Loads text as "gen.yaml" and expects failure with exactly want. */
static void expect_string_error(const char *text, size_t len, const char *want)
{
    char err[512] = "unchanged";
    proto_catalogue_t *c =
        proto_catalogue_load_string(text, len, "gen.yaml", err, sizeof err);
    if (c)
        proto_catalogue_destroy(&c);
    assert_null(c);
    assert_string_equal(err, want);
}

static proto_catalogue_t *expect_string_ok(const char *text, size_t len)
{
    char err[512] = "";
    proto_catalogue_t *c =
        proto_catalogue_load_string(text, len, "gen.yaml", err, sizeof err);
    if (!c)
        fail_msg("expected the catalogue to load, got: %s", err);
    assert_string_equal(err, "");
    return c;
}

/* ---- The sample branch --------------------------------------------- */

static proto_catalogue_t *load_sample(void)
{
    char err[512] = "";
    proto_catalogue_t *c = proto_catalogue_load_file(SAMPLE, err, sizeof err);
    if (!c)
        fail_msg("sample catalogue did not load: %s", err);
    return c;
}

static void test_sample_counts(void **state)
{
    (void)state;
    proto_catalogue_t *c = load_sample();
    assert_string_equal(c->source_name, SAMPLE);
    assert_int_equal(c->version, 0);
    assert_string_equal(c->title.zh, "福田营业部流程目录");
    assert_string_equal(c->title.en, "Futian Branch process catalogue");

    assert_int_equal(c->n_sites, 1);
    const proto_site_t *site = &c->sites[0];
    assert_string_equal(site->id, "futian");
    assert_string_equal(site->name.zh, "福田营业部");
    assert_string_equal(site->name.en, "Futian Branch");
    assert_string_equal(site->timezone, "Asia/Shanghai");
    assert_int_equal(site->n_teams, 5);
    assert_int_equal(site->n_staff, 16);

    static const char *const teams[] = {"live-a", "live-b", "telesales",
                                        "community", "management"};
    static const char *const teams_zh[] = {"直播一组", "直播二组", "电销组",
                                           "社群组", "管理"};
    for (size_t i = 0; i < 5; i++) {
        assert_string_equal(site->teams[i].id, teams[i]);
        assert_string_equal(site->teams[i].name.zh, teams_zh[i]);
    }

    size_t roles[4] = {0}, pins = 0, per_team[5] = {0};
    for (size_t i = 0; i < site->n_staff; i++) {
        const proto_staff_t *st = &site->staff[i];
        assert_true((unsigned)st->role < 4);
        roles[st->role]++;
        pins += st->pin_hash != NULL;
        /* a PIN for exactly the manager and the leads */
        assert_int_equal(st->pin_hash != NULL, st->role == PROTO_ROLE_MANAGER ||
                                                   st->role == PROTO_ROLE_LEAD);
        size_t t = 0;
        while (t < 5 && strcmp(st->team_id, teams[t]) != 0)
            t++;
        assert_true(t < 5);
        per_team[t]++;
    }
    assert_int_equal(roles[PROTO_ROLE_MANAGER], 1);
    assert_int_equal(roles[PROTO_ROLE_LEAD], 3);
    assert_int_equal(roles[PROTO_ROLE_ADVISER], 6);
    assert_int_equal(roles[PROTO_ROLE_NEW_HIRE], 6);
    assert_int_equal(pins, 4);
    assert_int_equal(per_team[0], 4); /* live-a */
    assert_int_equal(per_team[1], 3); /* live-b */
    assert_int_equal(per_team[2], 5); /* telesales */
    assert_int_equal(per_team[3], 3); /* community */
    assert_int_equal(per_team[4], 1); /* management */

    assert_int_equal(c->n_framework, 2);
    assert_int_equal(c->n_processes, 8);
    assert_int_equal(c->n_steps, 16);
    proto_catalogue_destroy(&c);
    assert_null(c);
}

/* Processes and steps in file order, with parents. */
static void test_sample_tree(void **state)
{
    (void)state;
    proto_catalogue_t *c = load_sample();
    static const char *const procs[] = {
        "bizdev",        "product-sales", "channel-dev", "online-acq",
        "telemarketing", "community",     "livestream",  "service"};
    static const char *const parents[] = {
        NULL,         "bizdev",     "bizdev",     "bizdev",
        "online-acq", "online-acq", "online-acq", NULL};
    assert_int_equal(c->n_processes, 8);
    for (size_t i = 0; i < 8; i++) {
        assert_string_equal(c->processes[i]->id, procs[i]);
        if (parents[i])
            assert_string_equal(c->processes[i]->parent->id, parents[i]);
        else
            assert_null(c->processes[i]->parent);
    }
    static const char *const steps[] = {
        "ps-profile",      "ps-recommend", "ch-bank",      "ch-corp",
        "tm-prepare",      "tm-call",      "tm-effective", "tm-follow-up",
        "cm-morning-post", "cm-answer",    "cm-event",     "ls-plan",
        "ls-host",         "ls-review",    "cs-callback",  "cs-welcome"};
    assert_int_equal(c->n_steps, 16);
    for (size_t i = 0; i < 16; i++)
        assert_string_equal(c->steps[i]->id, steps[i]);

    assert_ptr_equal(&c->framework[0], c->processes[0]);
    assert_ptr_equal(&c->framework[1], c->processes[7]);
    assert_int_equal(c->framework[0].n_children, 3);
    assert_int_equal(c->framework[0].n_steps, 0);
    assert_int_equal(c->framework[1].n_steps, 2);

    const proto_process_def_t *tm = proto_catalogue_process(c, "telemarketing");
    assert_non_null(tm);
    assert_ptr_equal(tm, c->processes[4]);
    assert_int_equal(tm->version, 2);
    assert_string_equal(tm->name.zh, "大数据精准营销（电话营销）");
    assert_string_equal(tm->name.en,
                        "Big-data precision marketing (telemarketing)");
    assert_int_equal(tm->n_steps, 4);
    assert_int_equal(tm->n_children, 0);
    assert_string_equal(tm->parent->id, "online-acq");
    assert_string_equal(tm->parent->parent->id, "bizdev");
    assert_null(tm->parent->parent->parent);
    for (size_t i = 0; i < tm->n_steps; i++)
        assert_ptr_equal(tm->steps[i].process, tm);
    assert_int_equal(proto_catalogue_process(c, "bizdev")->version, 1);
    proto_catalogue_destroy(&c);
}

static void test_sample_step(void **state)
{
    (void)state;
    proto_catalogue_t *c = load_sample();
    const proto_step_def_t *call = proto_catalogue_step(c, "tm-call");
    assert_non_null(call);
    assert_string_equal(call->name.zh, "外呼");
    assert_string_equal(call->name.en, "Outbound calls");
    assert_string_equal(call->process->id, "telemarketing");
    assert_true(call->asks_quality);
    assert_true(call->quality_multiplier);
    assert_true(call->daily_points_cap == 150.0);
    assert_int_equal(call->n_measures, 2);

    const proto_measure_def_t *calls = proto_step_measure(call, "calls");
    assert_non_null(calls);
    assert_ptr_equal(calls, &call->measures[0]);
    assert_string_equal(calls->name.zh, "外呼量");
    assert_string_equal(calls->unit.zh, "通");
    assert_string_equal(calls->unit.en, "calls");
    assert_true(calls->daily_target == 100.0);
    assert_true(calls->points_per_unit == 0.5);
    assert_true(calls->max_per_checkin == 300.0);
    const proto_measure_def_t *eff =
        proto_step_measure(call, "effective_calls");
    assert_non_null(eff);
    assert_string_equal(eff->name.zh, "有效通话");
    assert_true(eff->daily_target == 20.0);
    assert_true(eff->points_per_unit == 2.0);
    assert_null(proto_step_measure(call, "accounts_opened"));
    assert_null(proto_step_measure(call, "Calls"));
    assert_null(proto_step_measure(call, ""));

    /* The guide: the "|" block without its final newline, byte-exact. */
    assert_string_equal(
        call->guide.zh,
        "1. 上午十点到十一点半、下午两点到四点半集中外呼，每小时至少二十五通。"
        "\n2. 开场先报姓名、公司和工号，说明来电目的，十五秒内给出客户能得到"
        "的好处。\n3. 客户表示不方便就约时间再打，不纠缠；明确拒绝的标记“勿扰"
        "”。\n4. 通话超过一分钟或客户提出问题，记为有效通话。\n5. "
        "每通电话后马上在系统中选结果代码，不要等到下班再补。");
    assert_true(strncmp(call->guide.en, "1. Call in two blocks, 10:00–11:30",
                        strlen("1. Call in two blocks, 10:00–11:30")) == 0);

    const proto_step_def_t *fu = proto_catalogue_step(c, "tm-follow-up");
    assert_non_null(fu);
    assert_int_equal(fu->n_measures, 2);
    assert_string_equal(fu->measures[0].id, "follow_ups");
    assert_string_equal(fu->measures[1].id, "accounts_opened");
    assert_true(fu->measures[1].points_per_unit == 20.0);
    assert_true(fu->asks_quality);

    const proto_step_def_t *host = proto_catalogue_step(c, "ls-host");
    assert_non_null(host);
    assert_int_equal(host->n_measures, 3);
    assert_string_equal(host->measures[0].id, "viewers");
    assert_string_equal(host->measures[1].id, "minutes");
    assert_string_equal(host->measures[1].unit.zh, "分钟");
    assert_true(host->measures[1].points_per_unit == 0.0);
    assert_string_equal(host->measures[2].id, "leads");
    assert_true(host->asks_quality);

    const proto_step_def_t *plan = proto_catalogue_step(c, "ls-plan");
    assert_false(plan->asks_quality);
    assert_false(plan->quality_multiplier);
    assert_true(plan->daily_points_cap == 0.0);
    proto_catalogue_destroy(&c);
}

/* What new hires read: every step has a guide of 3 to 6 numbered lines in
 * both languages, and at least one measure. */
static void test_sample_guides(void **state)
{
    (void)state;
    proto_catalogue_t *c = load_sample();
    for (size_t i = 0; i < c->n_steps; i++) {
        const proto_step_def_t *s = c->steps[i];
        const char *texts[2] = {s->guide.zh, s->guide.en};
        for (int t = 0; t < 2; t++) {
            int lines = 1;
            for (const char *p = texts[t]; *p; p++)
                lines += *p == '\n';
            if (lines < 3 || lines > 6)
                fail_msg("guide of %s has %d lines", s->id, lines);
            char want[16];
            const char *p = texts[t];
            for (int l = 1; l <= lines; l++) {
                snprintf(want, sizeof want, "%d. ", l);
                if (strncmp(p, want, strlen(want)) != 0)
                    fail_msg("guide of %s: line %d is not numbered %d", s->id,
                             l, l);
                const char *nl = strchr(p, '\n');
                p = nl ? nl + 1 : p + strlen(p);
            }
        }
        assert_true(s->n_measures >= 1);
        assert_true(strlen(s->name.zh) > 0 && strlen(s->name.en) > 0);
    }
    proto_catalogue_destroy(&c);
}

/* The sample PINs documented in docs/CATALOGUE.md really verify. */
static void test_sample_pins(void **state)
{
    (void)state;
    assert_true(sodium_init() >= 0);
    proto_catalogue_t *c = load_sample();
    const proto_site_t *site = proto_catalogue_site(c, "futian");
    const proto_staff_t *gm = proto_catalogue_staff(site, "chen-jianguo");
    assert_non_null(gm);
    assert_int_equal(gm->role, PROTO_ROLE_MANAGER);
    assert_int_equal(crypto_pwhash_str_verify(gm->pin_hash, "1234", 4), 0);
    assert_int_equal(crypto_pwhash_str_verify(gm->pin_hash, "2468", 4), -1);
    static const char *const leads[] = {"wang-fang", "liu-yang", "zhao-min"};
    for (size_t i = 0; i < 3; i++) {
        const proto_staff_t *l = proto_catalogue_staff(site, leads[i]);
        assert_non_null(l);
        assert_int_equal(l->role, PROTO_ROLE_LEAD);
        assert_int_equal(crypto_pwhash_str_verify(l->pin_hash, "2468", 4), 0);
    }
    assert_null(proto_catalogue_staff(site, "zhang-wei")->pin_hash);
    proto_catalogue_destroy(&c);
}

static void test_lookups(void **state)
{
    (void)state;
    proto_catalogue_t *c = load_sample();
    const proto_site_t *site = proto_catalogue_site(c, "futian");
    assert_ptr_equal(site, &c->sites[0]);
    assert_null(proto_catalogue_site(c, "luohu"));
    assert_null(proto_catalogue_site(c, "Futian"));
    assert_null(proto_catalogue_site(c, ""));

    const proto_staff_t *zw = proto_catalogue_staff(site, "zhang-wei");
    assert_non_null(zw);
    assert_string_equal(zw->name.zh, "张伟");
    assert_string_equal(zw->name.en, "Zhang Wei");
    assert_string_equal(zw->team_id, "live-a");
    assert_int_equal(zw->role, PROTO_ROLE_ADVISER);
    const proto_staff_t *hx = proto_catalogue_staff(site, "hu-xiaoyu");
    assert_non_null(hx);
    assert_string_equal(hx->name.zh, "胡晓雨");
    assert_string_equal(hx->team_id, "telesales");
    assert_int_equal(hx->role, PROTO_ROLE_NEW_HIRE);
    assert_null(proto_catalogue_staff(site, "zhang"));
    assert_null(proto_catalogue_staff(site, "zhang-wei2"));

    const proto_team_t *lb = proto_catalogue_team(site, "live-b");
    assert_non_null(lb);
    assert_string_equal(lb->name.zh, "直播二组");
    assert_string_equal(lb->name.en, "Livestream Team B");
    assert_null(proto_catalogue_team(site, "live-c"));

    /* every id in the flat indexes is found, as that very object */
    for (size_t i = 0; i < c->n_steps; i++)
        assert_ptr_equal(proto_catalogue_step(c, c->steps[i]->id), c->steps[i]);
    for (size_t i = 0; i < c->n_processes; i++)
        assert_ptr_equal(proto_catalogue_process(c, c->processes[i]->id),
                         c->processes[i]);
    for (size_t i = 0; i < site->n_staff; i++)
        assert_ptr_equal(proto_catalogue_staff(site, site->staff[i].id),
                         &site->staff[i]);
    assert_null(proto_catalogue_step(c, "tm-calls"));
    assert_null(proto_catalogue_step(c, "a"));
    assert_null(proto_catalogue_step(c, "zzz"));
    assert_null(proto_catalogue_step(c, "telemarketing")); /* a process */
    assert_null(proto_catalogue_process(c, "tm-call"));    /* a step */
    assert_null(proto_catalogue_process(c, "nope"));

    /* NULL in, NULL out */
    assert_null(proto_catalogue_site(NULL, "futian"));
    assert_null(proto_catalogue_site(c, NULL));
    assert_null(proto_catalogue_staff(NULL, "zhang-wei"));
    assert_null(proto_catalogue_staff(site, NULL));
    assert_null(proto_catalogue_team(NULL, "live-a"));
    assert_null(proto_catalogue_step(NULL, "tm-call"));
    assert_null(proto_catalogue_step(c, NULL));
    assert_null(proto_catalogue_process(NULL, "bizdev"));
    assert_null(proto_step_measure(NULL, "calls"));

    assert_string_equal(proto_role_name(PROTO_ROLE_ADVISER), "adviser");
    assert_string_equal(proto_role_name(PROTO_ROLE_NEW_HIRE), "new-hire");
    assert_string_equal(proto_role_name(PROTO_ROLE_LEAD), "lead");
    assert_string_equal(proto_role_name(PROTO_ROLE_MANAGER), "manager");
    assert_string_equal(proto_role_name((proto_role_t)9), "?");
    proto_catalogue_destroy(&c);
}

/* Every optional key left out: the documented defaults. */
static void test_defaults(void **state)
{
    (void)state;
    char err[512] = "";
    proto_catalogue_t *c =
        proto_catalogue_load_file(FIXTURES "minimal.yaml", err, sizeof err);
    if (!c)
        fail_msg("%s", err);
    assert_int_equal(c->version, 0);
    assert_string_equal(c->title.zh, "最小目录");
    assert_string_equal(c->title.en, "最小目录");
    assert_string_equal(c->sites[0].timezone, "Asia/Shanghai");
    assert_string_equal(c->sites[0].name.en, "一号营业部");
    assert_null(c->sites[0].staff[0].pin_hash);
    assert_int_equal(c->sites[0].staff[0].role, PROTO_ROLE_NEW_HIRE);
    assert_int_equal(c->n_processes, 1);
    assert_int_equal(c->processes[0]->version, 1);
    const proto_step_def_t *s = proto_catalogue_step(c, "step");
    assert_non_null(s);
    assert_string_equal(s->guide.zh, "");
    assert_string_equal(s->guide.en, "");
    assert_false(s->asks_quality);
    assert_false(s->quality_multiplier);
    assert_true(s->daily_points_cap == 0.0);
    assert_int_equal(s->n_measures, 1);
    assert_string_equal(s->measures[0].unit.zh, "");
    assert_string_equal(s->measures[0].unit.en, "");
    assert_true(s->measures[0].daily_target == 0.0);
    assert_true(s->measures[0].points_per_unit == 0.0);
    assert_true(s->measures[0].max_per_checkin == 1000.0);
    assert_int_equal(s->line, 18);
    assert_int_equal(s->measures[0].line, 21);
    proto_catalogue_destroy(&c);
}

/* YAML that is fine: anchors and aliases share a rule, a byte-order mark
 * and CRLF line ends (Windows editors) change nothing; an alias cannot
 * make the framework recursive. */
static void test_yaml_features(void **state)
{
    (void)state;
    static const char shared[] =
        "title: {zh: 目录}\n"
        "sites:\n"
        "  - id: s\n"
        "    name: &n {zh: 名}\n"
        "    teams: [{id: t, name: *n}]\n"
        "    staff: [{id: p, name: *n, team: t, role: adviser}]\n"
        "framework:\n"
        "  - id: a\n"
        "    name: *n\n"
        "    steps:\n"
        "      - id: s1\n"
        "        name: *n\n"
        "        quality: true\n"
        "        points: &std {quality_multiplier: true, daily_cap: 40}\n"
        "        measures: &m [{id: c, name: *n, target: 5}]\n"
        "      - id: s2\n"
        "        name: {zh: 二}\n"
        "        quality: true\n"
        "        points: *std\n"
        "        measures: *m\n";
    proto_catalogue_t *c = expect_string_ok(shared, strlen(shared));
    const proto_step_def_t *s2 = proto_catalogue_step(c, "s2");
    assert_non_null(s2);
    assert_true(s2->quality_multiplier);
    assert_true(s2->daily_points_cap == 40.0);
    assert_true(proto_step_measure(s2, "c")->daily_target == 5.0);
    assert_string_equal(proto_catalogue_step(c, "s1")->name.zh, "名");
    assert_int_equal(s2->line, 16);
    proto_catalogue_destroy(&c);

    static const char crlf[] =
        "\xef\xbb\xbftitle: {zh: 目录}\r\n"
        "sites:\r\n"
        "  - id: s\r\n"
        "    name: {zh: 名}\r\n"
        "    teams: [{id: t, name: {zh: 组}}]\r\n"
        "    staff: [{id: p, name: {zh: 人}, team: t, role: adviser}]\r\n"
        "framework:\r\n"
        "  - id: a\r\n"
        "    name: {zh: 流程}\r\n"
        "    steps:\r\n"
        "      - id: s1\r\n"
        "        name: {zh: 步}\r\n"
        "        guide:\r\n"
        "          zh: |\r\n"
        "            1. 一\r\n"
        "            2. 二\r\n"
        "        measures: [{id: c, name: {zh: 次}}]\r\n";
    c = expect_string_ok(crlf, strlen(crlf));
    assert_string_equal(c->title.zh, "目录");
    assert_string_equal(c->steps[0]->guide.zh, "1. 一\n2. 二");
    assert_string_equal(c->steps[0]->guide.en, "1. 一\n2. 二");
    assert_int_equal(c->steps[0]->line, 11);
    proto_catalogue_destroy(&c);

    static const char loop[] = "title: {zh: 目录}\n"
                               "sites:\n"
                               "  - id: s\n"
                               "    name: {zh: 名}\n"
                               "    teams: [{id: t, name: {zh: 组}}]\n"
                               "    staff: [{id: p, name: {zh: 人}, team: t, "
                               "role: adviser}]\n"
                               "framework: &f\n"
                               "  - id: a\n"
                               "    name: {zh: 流程}\n"
                               "    processes: *f\n";
    expect_string_error(loop, strlen(loop),
                        "gen.yaml:8: process \"a\" is nested 5 levels deep; "
                        "processes nest at most 4 levels, so move it up a "
                        "level");
}

/* ---- Broken catalogues ---------------------------------------------- */

typedef struct {
    const char *file;
    const char *want; /* the message after "<source>:" */
} fixture_t;

static const fixture_t fixtures[] = {
    {"syntax.yaml",
     "25:13: YAML syntax error: could not find expected ':' (while scanning "
     "a simple key at line 24); check the indentation, the \": \" after each "
     "key and the closing quotes and brackets"},
    {"tab_indent.yaml",
     "12:1: YAML syntax error: a tab character where YAML allows only "
     "spaces; indent with spaces"},
    {"control_char.yaml",
     "11: YAML syntax error: control characters are not allowed (byte 314); "
     "remove it, or save the file as plain UTF-8 text"},
    {"unknown_key.yaml",
     "20: unknown key \"mesures\" in step \"tm-call\"; allowed: id, name, "
     "guide, measures, quality, points"},
    {"unknown_top_key.yaml",
     "24: unknown key \"owner\" in the catalogue; allowed: title, version, "
     "sites, framework"},
    {"no_measures.yaml",
     "18: step \"tm-call\" has no measures; add at least one (e.g. calls)"},
    {"empty_measures.yaml",
     "18: step \"tm-call\" has no measures; add at least one (e.g. calls)"},
    {"duplicate_step.yaml",
     "32: duplicate step id \"tm-call\" (first at line 18); give each step "
     "its own id"},
    {"duplicate_staff.yaml",
     "14: duplicate staff id \"zhang-wei\" (first at line 10); give each "
     "person their own id"},
    {"duplicate_measure.yaml",
     "23: duplicate measure id \"calls\" in step \"tm-call\" (first at line "
     "21); give each measure its own id"},
    {"duplicate_key.yaml",
     "24: key \"target\" appears twice in measure \"calls\" of step "
     "\"tm-call\" (first at line 23); keep one"},
    {"unknown_team.yaml",
     "14: staff \"zhang-wei\" names team \"live-c\", which site \"futian\" "
     "does not define; use one of: live-a, tm"},
    {"bad_id.yaml",
     "18: id \"Tm Call\" of step 1 of process \"telemarketing\" is not valid; "
     "use 1 to 64 characters from a-z, 0-9, '.', '_' and '-', starting with "
     "a letter or digit"},
    {"wrong_type.yaml",
     "23: target of measure \"calls\" of step \"tm-call\" must be a number, "
     "not the quoted text \"100\"; remove the quotes"},
    {"wrong_type_word.yaml",
     "23: points of measure \"calls\" of step \"tm-call\" must be a number, "
     "not \"lots\""},
    {"negative_target.yaml",
     "23: target of measure \"calls\" of step \"tm-call\" is -5; it must be 0 "
     "or more"},
    {"zero_max.yaml",
     "24: max of measure \"calls\" of step \"tm-call\" is 0; it is the "
     "largest value one check-in may carry, so make it more than 0"},
    {"bad_bool.yaml",
     "24: quality of step \"tm-call\" must be true or false, not \"yes\""},
    {"unknown_role.yaml",
     "13: role \"boss\" of staff \"zhang-wei\" is not known; use adviser, "
     "new-hire, lead or manager"},
    {"missing_zh.yaml",
     "8: name of team \"tm\" has no zh text; add zh: followed by the Chinese "
     "text"},
    {"long_name.yaml",
     "16: name.zh of process \"telemarketing\" is 132 bytes, over the limit "
     "of 120; shorten it"},
    {"unknown_timezone.yaml",
     "6: timezone \"Asia/Beijing\" of site \"futian\" is not in "
     "/usr/share/zoneinfo; use an IANA name such as Asia/Shanghai"},
    {"bad_pin_hash.yaml",
     "14: pin_hash of staff \"zhang-wei\" does not start with \"$argon2\"; "
     "store the output of crypto_pwhash_str, never the PIN itself (see "
     "docs/CATALOGUE.md)"},
    {"quality_multiplier.yaml",
     "24: step \"tm-call\" multiplies points by quality but does not ask for "
     "it; add quality: true to the step or remove quality_multiplier"},
    {"not_utf8.yaml",
     "5: the text is not valid UTF-8; save the file as UTF-8 (not GBK or "
     "GB18030)"},
    {"too_deep.yaml",
     "27: process \"l5\" is nested 5 levels deep; processes nest at most 4 "
     "levels, so move it up a level"},
    {"too_many_measures.yaml",
     "20: step \"tm-call\" has 17 measures; at most 16 are allowed"},
    {"empty_process.yaml",
     "24: process \"service\" has no steps and no sub-processes; add steps: "
     "or processes: with at least one entry"},
    {"second_document.yaml",
     "24: a second YAML document starts here; a catalogue is one document, "
     "so remove this \"---\" and what follows or merge it into the first"},
    {"not_mapping.yaml",
     "2: the catalogue must be a mapping with title, sites and framework, "
     "not a list"},
    {"empty.yaml",
     " the catalogue is empty; it needs title, sites and framework (start "
     "from assets/catalogue.yaml)"},
    {"comments_only.yaml",
     " the catalogue is empty; it needs title, sites and framework (start "
     "from assets/catalogue.yaml)"},
};

static void test_fixtures(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof fixtures / sizeof fixtures[0]; i++) {
        const fixture_t *fx = &fixtures[i];
        char path[1024], want[2048], err[512];
        snprintf(path, sizeof path, "%s%s", FIXTURES, fx->file);

        /* from the file: the path as given names the source */
        snprintf(want, sizeof want, "%s:%s", path, fx->want);
        strcpy(err, "unchanged");
        proto_catalogue_t *c = proto_catalogue_load_file(path, err, sizeof err);
        if (c)
            fail_msg("%s loaded but must not", fx->file);
        if (strcmp(err, want) != 0)
            fail_msg("%s:\n got: %s\nwant: %s", fx->file, err, want);

        /* from a string with a source name: the same message */
        size_t len;
        char *text = read_all(path, &len);
        snprintf(want, sizeof want, "%s:%s", fx->file, fx->want);
        strcpy(err, "unchanged");
        c = proto_catalogue_load_string(text, len, fx->file, err, sizeof err);
        if (c)
            fail_msg("%s loaded from a string but must not", fx->file);
        if (strcmp(err, want) != 0)
            fail_msg("%s (string):\n got: %s\nwant: %s", fx->file, err, want);

        /* a short buffer gets a cut, terminated prefix; none is fine too */
        char small[12];
        c = proto_catalogue_load_string(text, len, fx->file, small,
                                        sizeof small);
        assert_null(c);
        assert_int_equal(strlen(small), sizeof small - 1);
        assert_memory_equal(small, want, sizeof small - 1);
        c = proto_catalogue_load_string(text, len, fx->file, NULL, 0);
        assert_null(c);
        free(text);
    }
}

static void test_load_string(void **state)
{
    (void)state;
    size_t len;
    char *text = read_all(SAMPLE, &len);
    char err[512] = "";
    proto_catalogue_t *c =
        proto_catalogue_load_string(text, len, "branch.yaml", err, sizeof err);
    free(text);
    if (!c)
        fail_msg("%s", err);
    assert_string_equal(c->source_name, "branch.yaml");
    assert_int_equal(c->n_sites, 1);
    assert_int_equal(c->sites[0].n_staff, 16);
    assert_int_equal(c->n_processes, 8);
    assert_int_equal(c->n_steps, 16);
    assert_string_equal(proto_catalogue_step(c, "ls-host")->name.zh,
                        "直播执行");
    proto_catalogue_destroy(&c);

    /* length, not NUL, ends the text */
    static const char two[] = "title: {zh: 甲}\nbogus: 1\n";
    expect_string_error(two, strlen(two),
                        "gen.yaml:2: unknown key \"bogus\" in the catalogue; "
                        "allowed: title, version, sites, framework");
    expect_string_error(two, strlen("title: {zh: 甲}\n"),
                        "gen.yaml:1: the catalogue has no sites; add sites: "
                        "with at least one site");

    /* no source name: "catalogue" */
    c = proto_catalogue_load_string(two, strlen(two), NULL, err, sizeof err);
    assert_null(c);
    assert_string_equal(err, "catalogue:2: unknown key \"bogus\" in the "
                             "catalogue; allowed: title, version, sites, "
                             "framework");
    c = proto_catalogue_load_string(NULL, 0, "x.yaml", err, sizeof err);
    assert_null(c);
    assert_string_equal(err, "x.yaml: no catalogue text given; pass the YAML "
                             "text");
}

static void test_missing_file(void **state)
{
    (void)state;
    char dir[] = "/tmp/stepwise-cat-XXXXXX";
    assert_non_null(mkdtemp(dir));
    char path[256], want[512], err[512];
    snprintf(path, sizeof path, "%s/none.yaml", dir);
    snprintf(want, sizeof want,
             "%s: cannot open the catalogue: No such file or directory; "
             "check the path and its permissions",
             path);
    assert_null(proto_catalogue_load_file(path, err, sizeof err));
    assert_string_equal(err, want);
    snprintf(want, sizeof want,
             "%s: is not a regular file; give the path of a YAML catalogue "
             "file",
             dir);
    assert_null(proto_catalogue_load_file(dir, err, sizeof err));
    assert_string_equal(err, want);
    assert_int_equal(rmdir(dir), 0);
}

/* PROTO_CATALOGUE_MAX bytes load; one more is refused before parsing. */
static void test_size_limit(void **state)
{
    (void)state;
    size_t len;
    char *sample = read_all(SAMPLE, &len);
    char *big = malloc(PROTO_CATALOGUE_MAX + 1);
    assert_non_null(big);
    memcpy(big, sample, len);
    free(sample);
    /* pad with comment lines up to exactly the limit */
    size_t n = len;
    while (n < PROTO_CATALOGUE_MAX) {
        size_t room = PROTO_CATALOGUE_MAX - n;
        size_t line = room > 80 ? 80 : room;
        memset(big + n, ' ', line);
        big[n] = '#';
        big[n + line - 1] = '\n';
        n += line;
    }

    char dir[] = "/tmp/stepwise-cat-XXXXXX";
    assert_non_null(mkdtemp(dir));
    char path[256], want[512], err[512];
    snprintf(path, sizeof path, "%s/big.yaml", dir);

    write_all(path, big, PROTO_CATALOGUE_MAX);
    proto_catalogue_t *c = proto_catalogue_load_file(path, err, sizeof err);
    if (!c)
        fail_msg("a catalogue of exactly the limit must load: %s", err);
    assert_int_equal(c->n_steps, 16);
    proto_catalogue_destroy(&c);

    big[PROTO_CATALOGUE_MAX] = '\n';
    write_all(path, big, PROTO_CATALOGUE_MAX + 1);
    snprintf(want, sizeof want,
             "%s: the catalogue is 2097153 bytes, over the limit of 2097152 "
             "bytes; shorten the guides or remove unused processes",
             path);
    assert_null(proto_catalogue_load_file(path, err, sizeof err));
    assert_string_equal(err, want);
    expect_string_error(big, PROTO_CATALOGUE_MAX + 1,
                        "gen.yaml: the catalogue is 2097153 bytes, over the "
                        "limit of 2097152 bytes; shorten the guides or remove "
                        "unused processes");
    assert_int_equal(unlink(path), 0);
    assert_int_equal(rmdir(dir), 0);
    free(big);
}

/* ---- Bounds, at the limit and one past it --------------------------- */

static void gen_head(sbuf_t *b)
{
    sb_printf(b, "title: {zh: 生成目录}\n"
                 "sites:\n"
                 "  - id: s\n"
                 "    name: {zh: 营业部}\n"
                 "    teams:\n"
                 "      - {id: t, name: {zh: 组}}\n"
                 "    staff:\n"
                 "      - {id: p, name: {zh: 员工}, team: t, role: adviser}\n"
                 "framework:\n");
}

static void gen_step(sbuf_t *b, const char *indent, const char *id)
{
    sb_printf(b,
              "%s- {id: %s, name: {zh: 步骤}, measures: [{id: n, name: "
              "{zh: 次数}}]}\n",
              indent, id);
}

static void test_bound_steps(void **state)
{
    (void)state;
    for (int extra = 0; extra <= 1; extra++) {
        sbuf_t b = {0};
        gen_head(&b);
        int line = 0;
        char id[16];
        for (int p = 0; p < 2; p++) {
            sb_printf(&b, "  - id: p%d\n    name: {zh: 流程}\n    steps:\n", p);
            for (int i = 0; i < 512 + (p ? extra : 0); i++) {
                snprintf(id, sizeof id, "s%d", p * 512 + i + 1);
                line = sb_line(&b);
                gen_step(&b, "      ", id);
            }
        }
        if (!extra) {
            proto_catalogue_t *c = expect_string_ok(b.p, b.len);
            assert_int_equal(c->n_steps, 1024);
            for (int i = 1; i <= 1024; i++) {
                snprintf(id, sizeof id, "s%d", i);
                const proto_step_def_t *s = proto_catalogue_step(c, id);
                assert_non_null(s);
                assert_ptr_equal(s, c->steps[i - 1]);
            }
            assert_null(proto_catalogue_step(c, "s0"));
            assert_null(proto_catalogue_step(c, "s1025"));
            proto_catalogue_destroy(&c);
        } else {
            char want[256];
            snprintf(want, sizeof want,
                     "gen.yaml:%d: step \"s1025\" is one step too many; a "
                     "catalogue holds at most 1024 steps",
                     line);
            expect_string_error(b.p, b.len, want);
        }
        free(b.p);
    }
}

static void test_bound_processes(void **state)
{
    (void)state;
    for (int extra = 0; extra <= 1; extra++) {
        sbuf_t b = {0};
        gen_head(&b);
        sb_printf(&b, "  - id: a\n    name: {zh: 甲}\n    processes:\n");
        char id[16];
        for (int i = 1; i <= 255; i++) {
            snprintf(id, sizeof id, "c%d-s", i);
            sb_printf(&b,
                      "      - id: c%d\n        name: {zh: 子}\n"
                      "        steps:\n",
                      i);
            gen_step(&b, "          ", id);
        }
        int line = sb_line(&b);
        if (extra) {
            sb_printf(&b, "  - id: b\n    name: {zh: 乙}\n    steps:\n");
            gen_step(&b, "      ", "b-s");
        }
        if (!extra) {
            proto_catalogue_t *c = expect_string_ok(b.p, b.len);
            assert_int_equal(c->n_processes, 256);
            assert_int_equal(c->n_steps, 255);
            for (int i = 1; i <= 255; i++) {
                snprintf(id, sizeof id, "c%d", i);
                const proto_process_def_t *p = proto_catalogue_process(c, id);
                assert_non_null(p);
                assert_ptr_equal(p, c->processes[i]);
                assert_string_equal(p->parent->id, "a");
            }
            proto_catalogue_destroy(&c);
        } else {
            char want[256];
            snprintf(want, sizeof want,
                     "gen.yaml:%d: process \"b\" is one process too many; a "
                     "catalogue holds at most 256 processes",
                     line);
            expect_string_error(b.p, b.len, want);
        }
        free(b.p);
    }
}

/* Sites, teams and staff: n of each in one generated catalogue. */
static void gen_roster(sbuf_t *b, int sites, int teams, int staff)
{
    sb_printf(b, "title: {zh: 生成目录}\nsites:\n");
    for (int s = 0; s < sites; s++) {
        sb_printf(b, "  - id: site%d\n    name: {zh: 营业部}\n    teams:\n", s);
        for (int t = 0; t < teams; t++)
            sb_printf(b, "      - {id: t%d, name: {zh: 组}}\n", t);
        sb_printf(b, "    staff:\n");
        for (int p = 0; p < staff; p++)
            sb_printf(b,
                      "      - {id: p%d-%d, name: {zh: 员工}, team: t%d, "
                      "role: adviser}\n",
                      s, p, p % teams);
    }
    sb_printf(b, "framework:\n  - id: x\n    name: {zh: 流程}\n    steps:\n");
    gen_step(b, "      ", "x1");
}

static void test_bound_roster(void **state)
{
    (void)state;
    /* 64 sites; then one site with 64 teams and 512 staff (64 full sites
     * would not fit in PROTO_CATALOGUE_MAX bytes) */
    sbuf_t b = {0};
    gen_roster(&b, 64, 2, 3);
    proto_catalogue_t *c = expect_string_ok(b.p, b.len);
    assert_int_equal(c->n_sites, 64);
    const proto_site_t *s = proto_catalogue_site(c, "site63");
    assert_ptr_equal(s, &c->sites[63]);
    assert_int_equal(s->n_teams, 2);
    assert_int_equal(s->n_staff, 3);
    assert_string_equal(proto_catalogue_staff(s, "p63-2")->team_id, "t0");
    assert_null(proto_catalogue_staff(s, "p62-2"));
    assert_null(proto_catalogue_site(c, "site64"));
    proto_catalogue_destroy(&c);
    free(b.p);

    memset(&b, 0, sizeof b);
    gen_roster(&b, 1, 64, 512);
    c = expect_string_ok(b.p, b.len);
    s = &c->sites[0];
    assert_int_equal(s->n_teams, 64);
    assert_int_equal(s->n_staff, 512);
    for (int p = 0; p < 512; p++) {
        char id[32], team[16];
        snprintf(id, sizeof id, "p0-%d", p);
        snprintf(team, sizeof team, "t%d", p % 64);
        const proto_staff_t *st = proto_catalogue_staff(s, id);
        assert_ptr_equal(st, &s->staff[p]);
        assert_string_equal(st->team_id, team);
    }
    assert_ptr_equal(proto_catalogue_team(s, "t63"), &s->teams[63]);
    assert_null(proto_catalogue_team(s, "t64"));
    proto_catalogue_destroy(&c);
    free(b.p);

    memset(&b, 0, sizeof b);
    gen_roster(&b, 65, 1, 1);
    expect_string_error(b.p, b.len,
                        "gen.yaml:2: the catalogue has 65 sites; at most 64 "
                        "are allowed");
    free(b.p);
    memset(&b, 0, sizeof b);
    gen_roster(&b, 1, 65, 1);
    expect_string_error(b.p, b.len,
                        "gen.yaml:5: site \"site0\" has 65 teams; at most 64 "
                        "are allowed");
    free(b.p);
    memset(&b, 0, sizeof b);
    gen_roster(&b, 1, 1, 513);
    expect_string_error(b.p, b.len,
                        "gen.yaml:7: site \"site0\" has 513 staff; at most "
                        "512 are allowed");
    free(b.p);
}

static void test_bound_texts(void **state)
{
    (void)state;
    char id64[65], id65[66], key32[33], key33[34];
    memset(id64, 'a', 64);
    id64[64] = '\0';
    memset(id65, 'b', 65);
    id65[65] = '\0';
    memset(key32, 'k', 32);
    key32[32] = '\0';
    memset(key33, 'k', 33);
    key33[33] = '\0';
    /* 2666 three-byte characters + "ab" = 8000 bytes; "abc" = 8001 */
    sbuf_t guide = {0};
    for (int i = 0; i < 2666; i++)
        sb_printf(&guide, "步");

    for (int over = 0; over <= 1; over++) {
        sbuf_t b = {0};
        gen_head(&b);
        sb_printf(&b, "  - id: %s\n    name: {zh: 流程}\n    steps:\n",
                  over ? id65 : id64);
        sb_printf(&b, "      - id: st\n        name: {zh: 步骤}\n");
        int guide_line = sb_line(&b) + 1;
        sb_printf(&b, "        guide:\n          zh: \"%s%s\"\n", guide.p,
                  over ? "abc" : "ab");
        sb_printf(&b,
                  "        measures:\n          - {id: %s, name: {zh: "
                  "次}}\n",
                  over ? key33 : key32);
        if (!over) {
            proto_catalogue_t *c = expect_string_ok(b.p, b.len);
            assert_string_equal(c->processes[0]->id, id64);
            assert_int_equal(strlen(c->steps[0]->guide.zh), 8000);
            assert_string_equal(c->steps[0]->guide.en, c->steps[0]->guide.zh);
            assert_non_null(proto_step_measure(c->steps[0], key32));
            proto_catalogue_destroy(&c);
        } else {
            /* the id first: it names the object in every later message */
            char want[512];
            snprintf(want, sizeof want,
                     "gen.yaml:10: id \"%.48s...\" of process 1 of the "
                     "framework is not valid; use 1 to 64 characters from "
                     "a-z, 0-9, '.', '_' and '-', starting with a letter or "
                     "digit",
                     id65);
            expect_string_error(b.p, b.len, want);
            /* then the guide, with the id fixed */
            char *p = strstr(b.p, id65);
            memmove(p + 64, p + 65, strlen(p + 65) + 1);
            b.len--;
            snprintf(want, sizeof want,
                     "gen.yaml:%d: guide.zh of step \"st\" is 8001 bytes, "
                     "over the limit of 8000; shorten it",
                     guide_line);
            expect_string_error(b.p, b.len, want);
            /* then the measure id */
            p = strstr(b.p, "abc\"");
            memmove(p + 2, p + 3, strlen(p + 3) + 1);
            b.len--;
            expect_string_error(b.p, b.len,
                                "gen.yaml:18: id "
                                "\"kkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkk\" of "
                                "measure 1 of step \"st\" is not valid; use 1 "
                                "to 32 characters from a-z, 0-9, '.', '_' and "
                                "'-', starting with a letter or digit");
        }
        free(b.p);
    }
    free(guide.p);
}

/* Numbers in every accepted spelling, and a few that are not numbers. */
static void test_numbers(void **state)
{
    (void)state;
    static const struct {
        const char *text;
        double value; /* < 0: refused */
        const char *why;
    } cases[] = {
        {"0", 0, NULL},
        {"100", 100, NULL},
        {"2.5", 2.5, NULL},
        {".5", 0.5, NULL},
        {"1e3", 1000, NULL},
        {"+7", 7, NULL},
        {"1000000000", 1e9, NULL},
        {"1000000001", -1, "is 1000000001; it must be at most 1000000000"},
        {"0x10", -1, "must be a number, not \"0x10\""},
        {".inf", -1, "must be a number, not \".inf\""},
        {"nan", -1, "must be a number, not \"nan\""},
        {"1e999", -1, "must be a number, not \"1e999\""},
        {"1,000", -1, "must be a number, not \"1,000\""},
        {"[1]", -1, "must be a number, not a list"},
        {"", -1, "must be a number, not empty"},
        {"-0.5", -1, "is -0.5; it must be 0 or more"},
        {"'7'", -1,
         "must be a number, not the quoted text \"7\"; remove the "
         "quotes"},
        {"\"abc\"", -1, "must be a number, not the quoted text \"abc\""},
        {"{a: 1}", -1, "must be a number, not a mapping"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        sbuf_t b = {0};
        gen_head(&b);
        sb_printf(&b,
                  "  - id: p\n    name: {zh: 流程}\n    steps:\n"
                  "      - id: st\n        name: {zh: 步骤}\n"
                  "        measures:\n          - id: n\n"
                  "            name: {zh: 次数}\n"
                  "            target: %s\n",
                  cases[i].text);
        if (cases[i].value >= 0) {
            proto_catalogue_t *c = expect_string_ok(b.p, b.len);
            assert_true(c->steps[0]->measures[0].daily_target ==
                        cases[i].value);
            proto_catalogue_destroy(&c);
        } else {
            char want[256];
            snprintf(want, sizeof want,
                     "gen.yaml:18: target of measure \"n\" of step \"st\" %s",
                     cases[i].why);
            expect_string_error(b.p, b.len, want);
        }
        free(b.p);
    }
}

/* ---- Allocation failures --------------------------------------------- */

static long alloc_fail_at = -1; /* fail the Nth call (0-based); -1 never */
static long alloc_calls;
static long alloc_live;

static void *failing_malloc(size_t n)
{
    if (alloc_calls++ == alloc_fail_at)
        return NULL;
    void *p = malloc(n);
    alloc_live += p != NULL;
    return p;
}

static void *failing_realloc(void *p, size_t n)
{
    if (alloc_calls++ == alloc_fail_at)
        return NULL;
    void *q = realloc(p, n);
    alloc_live += !p && q;
    return q;
}

static void failing_free(void *p)
{
    alloc_live -= p != NULL;
    free(p);
}

/* Fails every allocation in turn: each failure gives the out-of-memory
 * message and leaves nothing allocated; then the load succeeds. */
static void test_alloc_failures(void **state)
{
    (void)state;
    const proto_allocator_t a = {failing_malloc, failing_realloc, failing_free};
    proto_set_allocator(&a);
    long n;
    for (n = 0; n < 1000; n++) {
        char err[512] = "";
        alloc_fail_at = n;
        alloc_calls = 0;
        alloc_live = 0;
        proto_catalogue_t *c =
            proto_catalogue_load_file(SAMPLE, err, sizeof err);
        if (c) {
            assert_int_equal(c->n_steps, 16);
            proto_catalogue_destroy(&c);
            assert_int_equal(alloc_live, 0);
            break;
        }
        assert_string_equal(err, SAMPLE ": out of memory while loading the "
                                        "catalogue; free some memory and try "
                                        "again");
        assert_int_equal(alloc_live, 0);
    }
    proto_set_allocator(NULL);
    assert_true(n > 2); /* the buffer, the catalogue, its arena at least */
    assert_true(n < 1000);
}

/* The text of the first fenced block after marker in doc (a NUL-ended
 * copy the caller frees), or NULL. */
static char *doc_block(const char *doc, const char *marker)
{
    const char *m = strstr(doc, marker);
    if (!m)
        return NULL;
    const char *open = strstr(m, "```");
    if (!open)
        return NULL;
    const char *start = strchr(open, '\n');
    const char *end = start ? strstr(start + 1, "\n```") : NULL;
    if (!end)
        return NULL;
    start++;
    size_t n = (size_t)(end - start) + 1; /* keep the last newline */
    char *out = malloc(n + 1);
    assert_non_null(out);
    memcpy(out, start, n);
    out[n] = '\0';
    return out;
}

/* docs/CATALOGUE.md does not drift: its example loads with what it
 * shows, and every error it quotes is one this loader gives. */
static void test_doc(void **state)
{
    (void)state;
    size_t len;
    char *doc = read_all(DOC, &len);
    doc = realloc(doc, len + 1);
    assert_non_null(doc);
    doc[len] = '\0';

    char *example = doc_block(doc, "## A short example");
    assert_non_null(example);
    proto_catalogue_t *c = expect_string_ok(example, strlen(example));
    assert_int_equal(c->n_sites, 1);
    assert_int_equal(c->sites[0].n_teams, 2);
    assert_int_equal(c->sites[0].n_staff, 2);
    assert_int_equal(c->n_processes, 2);
    assert_int_equal(c->n_steps, 2);
    const proto_step_def_t *call = proto_catalogue_step(c, "tm-call");
    assert_non_null(call);
    assert_true(proto_step_measure(call, "calls")->daily_target == 100.0);
    assert_true(call->quality_multiplier);
    assert_true(sodium_init() >= 0);
    const proto_staff_t *gm =
        proto_catalogue_staff(&c->sites[0], "chen-jianguo");
    assert_int_equal(crypto_pwhash_str_verify(gm->pin_hash, "1234", 4), 0);
    proto_catalogue_destroy(&c);
    free(example);

    char *errors = doc_block(doc, "## Error messages");
    assert_non_null(errors);
    size_t quoted = 0;
    for (char *line = strtok(errors, "\n"); line; line = strtok(NULL, "\n")) {
        const char *prefix = "catalogue.yaml:";
        assert_true(strncmp(line, prefix, strlen(prefix)) == 0);
        const char *rest = line + strlen(prefix);
        bool known = strcmp(rest, " the catalogue is 2097153 bytes, over the "
                                  "limit of 2097152 bytes; shorten the guides "
                                  "or remove unused processes") == 0;
        for (size_t i = 0; !known && i < sizeof fixtures / sizeof fixtures[0];
             i++)
            known = strcmp(rest, fixtures[i].want) == 0;
        if (!known)
            fail_msg("docs/CATALOGUE.md quotes an error the loader does not "
                     "give: %s",
                     line);
        quoted++;
    }
    assert_int_equal(quoted, 16);
    free(errors);
    free(doc);
}

static void test_destroy_null(void **state)
{
    (void)state;
    proto_catalogue_destroy(NULL);
    proto_catalogue_t *c = NULL;
    proto_catalogue_destroy(&c);
    assert_null(c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sample_counts),
        cmocka_unit_test(test_sample_tree),
        cmocka_unit_test(test_sample_step),
        cmocka_unit_test(test_sample_guides),
        cmocka_unit_test(test_sample_pins),
        cmocka_unit_test(test_lookups),
        cmocka_unit_test(test_defaults),
        cmocka_unit_test(test_yaml_features),
        cmocka_unit_test(test_fixtures),
        cmocka_unit_test(test_load_string),
        cmocka_unit_test(test_missing_file),
        cmocka_unit_test(test_size_limit),
        cmocka_unit_test(test_bound_steps),
        cmocka_unit_test(test_bound_processes),
        cmocka_unit_test(test_bound_roster),
        cmocka_unit_test(test_bound_texts),
        cmocka_unit_test(test_numbers),
        cmocka_unit_test(test_alloc_failures),
        cmocka_unit_test(test_doc),
        cmocka_unit_test(test_destroy_null),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
