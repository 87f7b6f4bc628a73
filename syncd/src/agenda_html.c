/*
 * agenda_html.c — the agenda as one self-contained, printable HTML page.
 *
 * The branch manager prints this or puts it on the meeting-room screen, so
 * it carries everything inside: inline CSS with A4 print rules (a page
 * break before each major section, table headers repeated), inline SVG for
 * the 8-week sparklines and the bars against target, no script, no fonts
 * or images fetched from anywhere. Text is Chinese first (lang zh-CN, a
 * CJK font stack) with English subtitles. Every text from the store or the
 * catalogue goes through sb_html(), so a suggestion titled "<script>"
 * shows as those characters. Numbers come from the same model and the
 * same rounding as the JSON.
 */
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "agenda_model.h"

static const char css[] =
    "@page{size:A4;margin:12mm 11mm}"
    "*{box-sizing:border-box}"
    "body{font-family:\"Noto Sans CJK SC\",\"Noto Sans CJK\",sans-serif;"
    "color:#1f2933;margin:0;padding:18px 22px;font-size:12.5px;"
    "line-height:1.45;background:#fff}"
    "header{border-bottom:3px solid #1f4e79;padding-bottom:8px;"
    "margin-bottom:10px}"
    "h1{font-size:22px;margin:0;color:#1f4e79}"
    "h1 small{font-size:13px;color:#52606d;font-weight:normal}"
    ".meta{color:#52606d;margin-top:3px}"
    "h2{font-size:15.5px;color:#1f4e79;border-left:5px solid #1f4e79;"
    "padding-left:8px;margin:18px 0 6px}"
    "h2 small,h3 small,th small{color:#7b8794;font-weight:normal;"
    "font-size:11px}"
    "h3{font-size:13px;margin:10px 0 4px;color:#323f4b}"
    "table{border-collapse:collapse;width:100%;margin:2px 0 6px}"
    "th,td{border-bottom:1px solid #d9e2ec;padding:3px 5px;"
    "vertical-align:middle;text-align:left}"
    "th{background:#eef2f7;font-weight:600;font-size:11.5px;"
    "color:#323f4b;white-space:nowrap}"
    "thead{display:table-header-group}"
    "tr{page-break-inside:avoid}"
    "td.n,th.n{text-align:right;font-variant-numeric:tabular-nums;"
    "white-space:nowrap}"
    ".proc td{background:#f5f7fa;font-weight:600;color:#1f4e79}"
    ".rag{display:inline-block;min-width:52px;text-align:center;"
    "border-radius:9px;padding:0 6px;font-weight:600;font-size:11.5px}"
    ".green{background:#d3f2dc;color:#1b6b35}"
    ".amber{background:#fde9c4;color:#8a5a00}"
    ".red{background:#fbd5d5;color:#9b1c1c}"
    ".none{color:#9aa5b1}"
    ".kpis{display:flex;gap:10px;margin:8px 0}"
    ".kpi{flex:1;border:1px solid #d9e2ec;border-radius:6px;padding:6px 10px}"
    ".kpi b{display:block;font-size:19px;color:#1f4e79}"
    ".kpi span{color:#52606d;font-size:11px}"
    ".muted{color:#7b8794}"
    ".over{color:#9b1c1c;font-weight:600}"
    ".sim td{color:#52606d}"
    ".tag{display:inline-block;border-radius:3px;padding:0 4px;"
    "font-size:11px;background:#eef2f7;color:#323f4b}"
    "ul{margin:2px 0 6px;padding-left:20px}"
    ".log td{height:30px}"
    ".two{display:flex;gap:16px}.two>div{flex:1}"
    "section.brk{page-break-before:always}"
    "@media print{body{padding:0}section.brk{margin-top:0}}";

static void h(sb_t *b, const char *s)
{
    sb_html(b, s);
}

static void rag_badge(sb_t *b, const ag_cell_t *c)
{
    ag_rag_t r = ag_rag(c);
    double p = ag_pct(c);
    if (r == AG_RAG_NONE) {
        sb_puts(b, "<span class=\"none\">无目标</span>");
        return;
    }
    sb_printf(b, "<span class=\"rag %s\">", ag_rag_name(r));
    sb_num(b, p, 1, "—");
    sb_puts(b, "%</span>");
}

/* A bar of value against target: the target is the tick at 80 % of the
 * width, so over-achievement up to 125 % still shows. */
static void bar(sb_t *b, const ag_cell_t *c)
{
    if (c->target <= 0) {
        sb_puts(b, "<svg width=\"90\" height=\"10\"></svg>");
        return;
    }
    double frac = c->value / c->target;
    double w = fmin(frac, 1.25) * 72.0;
    static const char *const fill[] = {"#9aa5b1", "#3f9142", "#d69e2e",
                                       "#c53030"};
    sb_printf(b,
              "<svg width=\"90\" height=\"10\" viewBox=\"0 0 90 10\" "
              "role=\"img\"><rect x=\"0\" y=\"2\" width=\"90\" height=\"6\" "
              "fill=\"#edf1f5\"/><rect x=\"0\" y=\"2\" width=\"%.1f\" "
              "height=\"6\" fill=\"%s\"/><line x1=\"72\" y1=\"0\" x2=\"72\" "
              "y2=\"10\" stroke=\"#1f2933\" stroke-width=\"1.2\"/></svg>",
              w, fill[ag_rag(c)]);
}

static void sparkline(sb_t *b, const ag_cell_t *wk, bool points)
{
    double v[AG_WEEKS], max = 0;
    for (int w = 0; w < AG_WEEKS; w++) {
        v[w] = points ? wk[w].points : wk[w].value;
        if (v[w] > max)
            max = v[w];
    }
    sb_puts(b, "<svg width=\"84\" height=\"20\" viewBox=\"0 0 84 20\" "
               "role=\"img\"><polyline fill=\"none\" stroke=\"#1f4e79\" "
               "stroke-width=\"1.5\" points=\"");
    for (int w = 0; w < AG_WEEKS; w++) {
        double y = max > 0 ? 17 - v[w] / max * 15 : 17;
        sb_printf(b, "%s%d,%.1f", w ? " " : "", 3 + w * 11, y);
    }
    double ylast = max > 0 ? 17 - v[AG_CUR] / max * 15 : 17;
    sb_printf(b,
              "\"/><circle cx=\"80\" cy=\"%.1f\" r=\"2.2\" "
              "fill=\"#1f4e79\"/></svg>",
              ylast);
}

static void change(sb_t *b, double d, int decimals)
{
    const char *cls = d > 0 ? "" : d < 0 ? " class=\"muted\"" : "";
    sb_printf(b, "<span%s>%s", cls, d > 0 ? "+" : "");
    sb_num(b, d, decimals, "—");
    sb_puts(b, "</span>");
}

static void num(sb_t *b, double v, int decimals)
{
    sb_num(b, v, decimals, "<span class=\"none\">—</span>");
}

/* The 完成 / 目标 to 客户评分 columns of a week's cell: the caller has opened
 * the first <td>, and goes on in the one opened after 客户评分. */
static void cell_scores(sb_t *b, const ag_cell_t *c)
{
    num(b, c->value, 1);
    sb_puts(b, " / ");
    num(b, c->target > 0 ? c->target : NAN, 1);
    sb_puts(b, "</td><td>");
    bar(b, c);
    sb_puts(b, "</td><td class=\"n\">");
    rag_badge(b, c);
    sb_puts(b, "</td><td class=\"n\">");
    num(b, ag_quality(c), 2);
    sb_puts(b, "</td><td class=\"n\">");
    num(b, c->points, 1);
    sb_puts(b, "</td><td class=\"n\">");
    num(b, ag_rating(c), 2);
    sb_puts(b, "</td><td class=\"n\">");
}

static void who_row(sb_t *b, const char *name, const char *team,
                    const ag_cell_t *wk)
{
    const ag_cell_t *c = &wk[AG_CUR];
    sb_puts(b, "<tr><td>");
    h(b, name);
    sb_puts(b, "</td>");
    if (team) {
        sb_puts(b, "<td>");
        h(b, team);
        sb_puts(b, "</td>");
    }
    sb_printf(b, "<td class=\"n\">%ld</td><td class=\"n\">", c->checkins);
    cell_scores(b, c);
    change(b, c->points - wk[AG_PREV].points, 1);
    sb_puts(b, "</td><td>");
    sparkline(b, wk, true);
    sb_puts(b, "</td></tr>\n");
}

static void who_head(sb_t *b, const char *first, bool team)
{
    sb_printf(b,
              "<table><thead><tr><th>%s</th>%s<th class=\"n\">打卡</th>"
              "<th class=\"n\">完成 / 目标</th><th></th><th class=\"n\">达成"
              "</th><th class=\"n\">质量</th><th class=\"n\">积分</th>"
              "<th class=\"n\">客户评分</th><th class=\"n\">积分较上周</th>"
              "<th>8 周积分</th></tr></thead><tbody>\n",
              first, team ? "<th>小组</th>" : "");
}

int ag_write_html(const ag_t *ag, sb_t *b)
{
    uint64_t queued = 0;
    for (size_t i = 0; i < ag->n_kiosks; i++)
        queued += ag->kiosks[i].queued;

    sb_puts(b, "<!DOCTYPE html>\n<html lang=\"zh-CN\">\n<head>\n"
               "<meta charset=\"utf-8\">\n<title>");
    h(b, ag->site->name.zh);
    sb_printf(b, " 周例会议程 %s</title>\n<style>%s</style>\n</head>\n<body>\n",
              ag->week, css);

    /* 0 header */
    sb_puts(b, "<header><h1>");
    h(b, ag->site->name.zh);
    sb_printf(b,
              " · 周例会议程 <small>Weekly process-improvement meeting · "
              "%s</small></h1>\n<div class=\"meta\">%s（周一）至 %s（周日）"
              " · 时区 ",
              ag->week, ag->monday, ag->sunday);
    h(b, ag->tz);
    sb_printf(b, " · 目录版本 %llu · 生成于 %s</div></header>\n",
              (unsigned long long)ag->cat->version, ag->today);

    sb_puts(b, "<section><h2>0 概况 <small>Overview &amp; data freshness"
               "</small></h2>\n<div class=\"kpis\">");
    sb_printf(b,
              "<div class=\"kpi\"><b>%d / %d</b><span>打卡覆盖 check-in "
              "coverage（",
              ag->covered, ag->roster);
    num(b, ag->roster ? ag->covered * 100.0 / ag->roster : NAN, 1);
    sb_printf(b,
              "%%）</span></div><div class=\"kpi\"><b>%llu</b><span>终端"
              "待上传 events still queued</span></div>"
              "<div class=\"kpi\"><b>%zu</b><span>待跟进决定 open "
              "decisions</span></div><div class=\"kpi\"><b>%zu</b><span>"
              "异常 exceptions</span></div></div>\n",
              (unsigned long long)queued, ag->n_followups, ag->n_exceptions);
    sb_puts(b, "<div class=\"two\"><div><h3>终端同步 <small>Kiosks</small>"
               "</h3><table><thead><tr><th>终端</th><th>最近同步</th>"
               "<th class=\"n\">距今（小时）</th><th class=\"n\">待上传</th>"
               "</tr></thead><tbody>\n");
    for (size_t i = 0; i < ag->n_kiosks; i++) {
        const ag_kiosk_t *k = &ag->kiosks[i];
        sb_puts(b, "<tr><td>");
        h(b, k->id);
        sb_puts(b, "</td><td>");
        h(b, k->last_sync_day[0] ? k->last_sync_day : "从未同步");
        sb_puts(b, "</td><td class=\"n\">");
        num(b, k->hours_ago < 0 ? NAN : k->hours_ago, 1);
        sb_printf(b, "</td><td class=\"n\">%llu</td></tr>\n",
                  (unsigned long long)k->queued);
    }
    sb_puts(b, "</tbody></table></div><div><h3>参会人员 <small>Attendees"
               "</small></h3><table><thead><tr><th>姓名</th><th>小组</th>"
               "<th class=\"n\">本周打卡</th></tr></thead><tbody>\n");
    for (size_t i = 0; i < ag->n_people; i++) {
        const ag_person_t *p = &ag->people[i];
        if (!p->on_roster)
            continue;
        sb_puts(b, "<tr><td>");
        h(b, p->name);
        sb_puts(b, "</td><td>");
        h(b, p->team_name);
        sb_printf(b, "</td><td class=\"n\">%ld</td></tr>\n",
                  p->wk[AG_CUR].checkins);
    }
    sb_puts(b, "</tbody></table></div></div></section>\n");

    /* 1 follow-ups */
    sb_puts(b, "<section><h2>1 跟进事项 <small>Follow-ups: open decisions, "
               "overdue first</small></h2>\n");
    if (!ag->n_followups) {
        sb_puts(b, "<p class=\"muted\">无未完成的决定。</p>\n");
    } else {
        sb_puts(b, "<table><thead><tr><th>事项</th><th>状态</th><th>负责人"
                   "</th><th>截止</th><th class=\"n\">逾期</th></tr></thead>"
                   "<tbody>\n");
        for (size_t i = 0; i < ag->n_followups; i++) {
            const ag_sugg_t *s = &ag->followups[i];
            sb_puts(b, "<tr><td>");
            h(b, s->title);
            sb_printf(b, "</td><td><span class=\"tag\">%s</span></td><td>",
                      ag_status_zh(s->status));
            h(b, s->owner_id[0] ? ag_person_name(ag, s->owner_id) : "—");
            sb_puts(b, "</td><td>");
            h(b, s->due[0] ? s->due : "—");
            sb_puts(b, "</td><td class=\"n\">");
            if (s->overdue)
                sb_printf(b, "<span class=\"over\">逾期 %d 天</span>",
                          s->days_overdue);
            sb_puts(b, "</td></tr>\n");
        }
        sb_puts(b, "</tbody></table>\n");
    }
    sb_puts(b, "</section>\n");

    /* 2 scoreboard */
    sb_printf(b,
              "<section class=\"brk\"><h2>2 指标看板 <small>KPI scoreboard"
              "</small></h2>\n<p class=\"muted\">目标 = 每人每日目标 × %d 个"
              "工作日 × 本周有打卡的人数。达成 ≥ 100%% 绿，≥ 80%% 黄，"
              "&lt; 80%% 红；竖线为目标。趋势 %s – %s。</p>\n",
              AG_WORKDAYS, ag->weeks[0], ag->weeks[AG_CUR]);
    sb_puts(b, "<h3>按流程与步骤 <small>By process and step</small></h3>"
               "<table><thead><tr><th>步骤</th><th class=\"n\">人数</th>"
               "<th class=\"n\">打卡</th><th class=\"n\">完成 / 目标</th>"
               "<th></th><th class=\"n\">达成</th><th class=\"n\">质量</th>"
               "<th class=\"n\">积分</th><th class=\"n\">客户评分</th>"
               "<th class=\"n\">较上周</th><th>8 周趋势</th></tr></thead>"
               "<tbody>\n");
    const char *last_proc = NULL;
    for (size_t i = 0; i < ag->n_steps; i++) {
        const ag_step_t *s = &ag->steps[i];
        const ag_cell_t *c = &s->wk[AG_CUR];
        if (!last_proc || strcmp(last_proc, s->process_name) != 0) {
            sb_puts(b, "<tr class=\"proc\"><td colspan=\"11\">");
            h(b, s->process_name);
            sb_puts(b, "</td></tr>\n");
            last_proc = s->process_name;
        }
        sb_puts(b, "<tr><td>");
        h(b, s->name);
        if (s->measure_name[0]) {
            /* the measure's name only when it says more than the step's */
            bool same = strcmp(s->measure_name, s->name) == 0;
            sb_puts(b, " <small class=\"muted\">");
            if (!same)
                h(b, s->measure_name);
            if (s->unit[0]) {
                sb_puts(b, same ? "" : "/");
                h(b, s->unit);
            }
            sb_puts(b, "</small>");
        }
        sb_printf(b,
                  "</td><td class=\"n\">%d</td><td class=\"n\">%ld</td>"
                  "<td class=\"n\">",
                  c->people, c->checkins);
        cell_scores(b, c);
        change(b, c->value - s->wk[AG_PREV].value, 1);
        sb_puts(b, "</td><td>");
        sparkline(b, s->wk, false);
        sb_puts(b, "</td></tr>\n");
    }
    sb_puts(b, "</tbody></table>\n<h3>按小组 <small>By team</small></h3>");
    who_head(b, "小组", false);
    for (size_t i = 0; i < ag->n_teams; i++)
        who_row(b, ag->teams[i].name, NULL, ag->teams[i].wk);
    sb_puts(b, "</tbody></table>\n<h3>按人员 <small>By person</small></h3>");
    who_head(b, "人员", true);
    for (size_t i = 0; i < ag->n_people; i++)
        who_row(b, ag->people[i].name, ag->people[i].team_name,
                ag->people[i].wk);
    sb_puts(b, "</tbody></table></section>\n");

    /* 3 exceptions */
    sb_puts(b, "<section class=\"brk\"><h2>3 异常 <small>Exceptions found "
               "automatically</small></h2>\n");
    if (!ag->n_exceptions)
        sb_puts(b, "<p class=\"muted\">无。</p>\n");
    else
        sb_puts(b, "<table><thead><tr><th>类型</th><th>对象</th><th>说明"
                   "</th></tr></thead><tbody>\n");
    for (size_t i = 0; i < ag->n_exceptions; i++) {
        const ag_exception_t *e = &ag->exceptions[i];
        static const char *const kind[] = {"连续两周未达标", "质量下降",
                                           "本周无人执行", "本周无打卡"};
        sb_printf(b, "<tr><td><span class=\"tag\">%s</span></td><td>",
                  kind[e->kind]);
        h(b, e->kind == AG_EX_NO_CHECKINS ? ag->people[e->index].name
                                          : ag->steps[e->index].name);
        sb_puts(b, "</td><td>");
        switch (e->kind) {
        case AG_EX_BELOW_TARGET:
            sb_puts(b, "本周 ");
            num(b, e->now, 1);
            sb_puts(b, "%，上周 ");
            num(b, e->before, 1);
            sb_puts(b, "%");
            break;
        case AG_EX_QUALITY_DROP:
            sb_puts(b, "质量均值 ");
            num(b, e->before, 2);
            sb_puts(b, " → ");
            num(b, e->now, 2);
            break;
        case AG_EX_NO_ACTIVITY:
            sb_puts(b, "可考虑是否为非增值步骤、可删除");
            break;
        case AG_EX_NO_CHECKINS:
            sb_puts(b, "了解原因（休假？不会用？）");
            break;
        }
        sb_puts(b, "</td></tr>\n");
    }
    if (ag->n_exceptions)
        sb_puts(b, "</tbody></table>\n");
    sb_puts(b, "</section>\n");

    /* 4 problems */
    sb_puts(b, "<section><h2>4 员工反映的问题 <small>Problems raised this "
               "week, by process and step</small></h2>\n");
    if (!ag->n_problem_groups)
        sb_puts(b, "<p class=\"muted\">本周无。</p>\n");
    else
        sb_puts(b, "<table><thead><tr><th>流程 → 步骤</th><th class=\"n\">"
                   "次数</th><th>问题</th></tr></thead><tbody>\n");
    for (size_t i = 0; i < ag->n_problem_groups; i++) {
        const ag_problem_group_t *g = &ag->problem_groups[i];
        sb_puts(b, "<tr><td>");
        h(b, ag_process_label(ag, g->process_id));
        sb_puts(b, " → ");
        h(b, ag_step_label(ag, g->step_id));
        sb_printf(b, "</td><td class=\"n\">%zu</td><td><ul>", g->n);
        for (size_t k = 0; k < g->n; k++) {
            sb_puts(b, "<li>");
            h(b, ag->problems[g->items[k]].title);
            sb_puts(b, "</li>");
        }
        sb_puts(b, "</ul></td></tr>\n");
    }
    if (ag->n_problem_groups)
        sb_puts(b, "</tbody></table>\n");
    sb_puts(b, "</section>\n");

    /* 5 suggestions for decision */
    sb_puts(b, "<section><h2>5 待决定的建议 <small>Suggestions for decision, "
               "near-duplicates grouped, by support</small></h2>\n");
    if (!ag->n_cand_groups)
        sb_puts(b, "<p class=\"muted\">无。</p>\n");
    else
        sb_puts(b, "<table><thead><tr><th class=\"n\">#</th><th>建议</th>"
                   "<th>流程 / 步骤</th><th>状态</th><th class=\"n\">支持"
                   "</th></tr></thead><tbody>\n");
    for (size_t i = 0; i < ag->n_cand_groups; i++) {
        const ag_cand_group_t *g = &ag->cand_groups[i];
        for (size_t k = 0; k < g->n; k++) {
            const ag_sugg_t *s = &ag->candidates[g->items[k]];
            if (k == 0)
                sb_printf(b, "<tr><td class=\"n\">%zu</td><td>", i + 1);
            else
                sb_puts(b, "<tr class=\"sim\"><td></td><td>↳ 相似：");
            h(b, s->title);
            sb_puts(b, "</td><td>");
            h(b, ag_process_label(ag, s->process_id));
            if (s->step_id[0]) {
                sb_puts(b, " / ");
                h(b, ag_step_label(ag, s->step_id));
            }
            sb_printf(b,
                      "</td><td><span class=\"tag\">%s</span></td>"
                      "<td class=\"n\">%ld",
                      ag_status_zh(s->status), s->votes);
            if (k == 0 && g->n > 1)
                sb_printf(b, "（合计 %ld）", g->votes);
            sb_puts(b, "</td></tr>\n");
        }
    }
    if (ag->n_cand_groups)
        sb_puts(b, "</tbody></table>\n");
    sb_puts(b, "</section>\n");

    /* 6 effect review */
    sb_puts(b, "<section class=\"brk\"><h2>6 改进效果回顾 <small>Effect "
               "review: per person-day, 4 weeks before the decision vs "
               "since</small></h2>\n");
    if (!ag->n_effects)
        sb_puts(b, "<p class=\"muted\">暂无完成满两周且设有成效指标的改进。"
                   "</p>\n");
    else
        sb_puts(b, "<table><thead><tr><th>改进</th><th>指标</th><th>决定日"
                   "</th><th class=\"n\">之前</th><th class=\"n\">之后</th>"
                   "<th>结论</th></tr></thead><tbody>\n");
    for (size_t i = 0; i < ag->n_effects; i++) {
        const ag_effect_t *e = &ag->effects[i];
        const ag_sugg_t *s = &ag->effects_s[e->sugg];
        sb_puts(b, "<tr><td>");
        h(b, s->title);
        sb_puts(b, "</td><td>");
        h(b, ag_step_label(ag, e->step));
        sb_puts(b, " · ");
        h(b, e->key);
        sb_printf(b, " %s</td><td>%s</td><td class=\"n\">", e->up ? "↑" : "↓",
                  e->decided);
        num(b, ag_effect_value(e->before_total, e->before_pd), 2);
        sb_puts(b, "</td><td class=\"n\">");
        num(b, ag_effect_value(e->after_total, e->after_pd), 2);
        const char *v = strcmp(e->verdict, "improved") == 0
                            ? "<span class=\"rag green\">改善</span>"
                        : strcmp(e->verdict, "worse") == 0
                            ? "<span class=\"rag red\">变差</span>"
                        : strcmp(e->verdict, "unchanged") == 0
                            ? "<span class=\"rag amber\">无变化</span>"
                            : "<span class=\"none\">数据不足</span>";
        sb_printf(b, "</td><td>%s</td></tr>\n", v);
    }
    if (ag->n_effects)
        sb_puts(b, "</tbody></table>\n");
    sb_puts(b, "</section>\n");

    /* 7 recognition */
    sb_puts(b, "<section><h2>7 表彰 <small>Recognition</small></h2>\n"
               "<div class=\"two\"><div><h3>个人积分榜 <small>Top people"
               "</small></h3><table><tbody>\n");
    for (size_t i = 0; i < ag->n_top_people; i++) {
        const ag_person_t *p = &ag->people[ag->top_people[i]];
        sb_printf(b, "<tr><td class=\"n\">%zu</td><td>", i + 1);
        h(b, p->name);
        sb_puts(b, " <small class=\"muted\">");
        h(b, p->team_name);
        sb_puts(b, "</small></td><td class=\"n\">");
        num(b, round(p->wk[AG_CUR].points), 0);
        sb_puts(b, " 分</td></tr>\n");
    }
    sb_puts(b, "</tbody></table></div><div><h3>小组积分榜 <small>Top teams"
               "</small></h3><table><tbody>\n");
    for (size_t i = 0; i < ag->n_top_teams; i++) {
        const ag_team_t *t = &ag->teams[ag->top_teams[i]];
        sb_printf(b, "<tr><td class=\"n\">%zu</td><td>", i + 1);
        h(b, t->name);
        sb_puts(b, "</td><td class=\"n\">");
        num(b, round(t->wk[AG_CUR].points), 0);
        sb_puts(b, " 分</td></tr>\n");
    }
    sb_puts(b, "</tbody></table></div></div>\n<h3>建议被采纳 / 完成 "
               "<small>Authors of accepted or done suggestions</small></h3>\n");
    if (!ag->n_authors)
        sb_puts(b, "<p class=\"muted\">本周无。</p>\n");
    else
        sb_puts(b, "<ul>");
    for (size_t i = 0; i < ag->n_authors; i++) {
        const ag_author_t *a = &ag->authors[i];
        sb_puts(b, "<li><b>");
        h(b, ag_person_name(ag, a->staff_id));
        sb_puts(b, "</b>：");
        h(b, a->title);
        sb_printf(b, " <span class=\"tag\">%s +", ag_status_zh(a->status));
        num(b, a->points, 1);
        sb_puts(b, " 分</span></li>\n");
    }
    if (ag->n_authors)
        sb_puts(b, "</ul>\n");
    sb_puts(b, "</section>\n");

    /* 8 decision log */
    sb_puts(b, "<section><h2>8 决定记录 <small>Decision log, filled in during "
               "the meeting</small></h2>\n<table class=\"log\"><thead><tr>"
               "<th style=\"width:40%\">事项 <small>Item</small></th>"
               "<th style=\"width:30%\">决定 <small>Decision</small></th>"
               "<th>负责人 <small>Owner</small></th><th>截止 <small>Due"
               "</small></th></tr></thead><tbody>\n");
    for (int i = 0; i < AG_BLANK_ROWS; i++)
        sb_puts(b, "<tr><td></td><td></td><td></td><td></td></tr>\n");
    sb_puts(b, "</tbody></table></section>\n</body>\n</html>\n");
    return 0;
}
