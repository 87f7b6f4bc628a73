/*
 * schema.c — the one table of the Stepwise wire protocol.
 *
 * Every message id, every event type, every field's wire key, type, bounds,
 * required flag and C location is written here and nowhere else. The codec
 * (codec.c) walks these tables to encode and decode, the deep clear and copy
 * below walk them to free and duplicate heap parts, proto-schema-doc prints
 * the reference tables of docs/PROTOCOL.md from them, and the round-trip
 * tests fill and compare messages by walking them. Adding a field is adding
 * one line to one table below (and regenerating the docs).
 *
 * Conventions of the table:
 *  - An optional field holding its zero value (0, false, "", NULL, no
 *    elements) is absent on the wire; encoders omit it, so every message
 *    has one canonical encoding. A present field obeys its bounds.
 *  - A required field is always present, even when zero (its bounds say
 *    whether zero is allowed).
 *  - Keys are emitted in table order; decoders accept any order.
 */
#include "schema.h"

#include <string.h>

#define MSZ(T, m) ((uint8_t)sizeof(((T *)0)->m))
#define I63 ((uint64_t)INT64_MAX)

#define F_UINT(T, m, k, req, lo, hi, d)                                        \
    {                                                                          \
        .key = k, .type = SCHEMA_UINT, .required = req, .size = MSZ(T, m),     \
        .offset = offsetof(T, m), .umin = (lo), .umax = (hi), .doc = d         \
    }
#define F_INT(T, m, k, req, lo, hi, d)                                         \
    {                                                                          \
        .key = k, .type = SCHEMA_INT, .required = req, .size = MSZ(T, m),      \
        .offset = offsetof(T, m), .imin = (lo), .imax = (hi), .doc = d         \
    }
#define F_BOOL(T, m, k, d)                                                     \
    {                                                                          \
        .key = k, .type = SCHEMA_BOOL, .required = false, .size = MSZ(T, m),   \
        .offset = offsetof(T, m), .umax = 1, .doc = d                          \
    }
/* A string into a fixed char array: the bound is the array size - 1. */
#define F_STR(T, m, k, req, lo, d)                                             \
    {                                                                          \
        .key = k, .type = SCHEMA_STR, .required = req,                         \
        .offset = offsetof(T, m), .umin = (lo),                                \
        .umax = sizeof(((T *)0)->m) - 1, .doc = d                              \
    }
#define F_HSTR(T, m, k, req, lo, hi, d)                                        \
    {                                                                          \
        .key = k, .type = SCHEMA_HSTR, .required = req,                        \
        .offset = offsetof(T, m), .umin = (lo), .umax = (hi), .doc = d         \
    }
#define F_LSTR(T, m, lenm, k, req, hi, d)                                      \
    {                                                                          \
        .key = k, .type = SCHEMA_LSTR, .required = req,                        \
        .offset = offsetof(T, m), .aux_offset = offsetof(T, lenm),             \
        .umax = (hi), .doc = d                                                 \
    }
#define F_ENUM(T, m, k, req, en, d)                                            \
    {                                                                          \
        .key = k, .type = SCHEMA_ENUM, .required = req, .size = MSZ(T, m),     \
        .offset = offsetof(T, m), .names = &(en), .doc = d                     \
    }
#define F_MEASURES(T, m, cnt, k, req, hi, d)                                   \
    {                                                                          \
        .key = k, .type = SCHEMA_MEASURES, .required = req,                    \
        .offset = offsetof(T, m), .aux_offset = offsetof(T, cnt),              \
        .umax = (hi), .doc = d                                                 \
    }
#define F_ARGS(T, m, cnt, k, req, hi, d)                                       \
    {                                                                          \
        .key = k, .type = SCHEMA_ARGS, .required = req,                        \
        .offset = offsetof(T, m), .aux_offset = offsetof(T, cnt),              \
        .umax = (hi), .doc = d                                                 \
    }
#define F_ARRAY(T, m, cnt, k, req, hi, ET, es, d)                              \
    {                                                                          \
        .key = k, .type = SCHEMA_ARRAY, .required = req,                       \
        .offset = offsetof(T, m), .aux_offset = offsetof(T, cnt),              \
        .umax = (hi), .elem = &(es), .elem_size = sizeof(ET), .doc = d         \
    }
#define F_EVENTS(T, m, cnt, k, req, hi, d)                                     \
    {                                                                          \
        .key = k, .type = SCHEMA_EVENTS, .required = req,                      \
        .offset = offsetof(T, m), .aux_offset = offsetof(T, cnt),              \
        .umax = (hi), .elem_size = sizeof(proto_event_t), .doc = d             \
    }
#define STRUCT(nm, arr, d)                                                     \
    {                                                                          \
        .name = nm, .fields = arr, .n_fields = sizeof(arr) / sizeof(arr[0]),   \
        .doc = d                                                               \
    }

static const char *const kind_names[] = {NULL, "problem", "idea"};
const schema_enum_t schema_kind_names = {kind_names, 3};

/* ---- Events ---------------------------------------------------------- */

#define EV proto_event_t

static const schema_field_t ev_common[] = {
    F_STR(EV, kiosk_id, "kiosk_id", true, 1,
          "id of the kiosk that captured the event; must equal the id "
          "enrolled for the authenticated key"),
    F_UINT(EV, seq, "seq", true, 1, I63,
           "per-kiosk sequence number: 1, 2, 3 ... never reused"),
    F_INT(EV, captured_ms, "captured_ms", true, 0, INT64_MAX,
          "kiosk wall clock at capture, ms since 1970-01-01T00:00:00Z"),
    F_UINT(EV, boot_id, "boot_id", true, 0, UINT64_MAX,
           "random number drawn at every start of the kiosk program"),
    F_UINT(EV, mono_ms, "mono_ms", true, 0, UINT64_MAX,
           "monotonic clock at capture, ms since that start"),
};

static const schema_field_t ev_checkin[] = {
    F_STR(EV, staff_id, "staff_id", true, 1, "who did the step"),
    F_STR(EV, step_id, "step_id", true, 1, "the step, as in the catalogue"),
    F_UINT(EV, catalogue_version, "catalogue_version", true, 1, I63,
           "catalogue version the kiosk showed"),
    F_MEASURES(EV, measures, n_measures, "measures", true, PROTO_MAX_MEASURES,
               "measure key → value, e.g. {\"calls\": 35, \"effective\": 6}; "
               "keys as in the step's measures"),
    F_UINT(EV, quality, "quality", false, 1, 5,
           "self-assessed quality 1 (poor) … 5 (excellent); absent = not "
           "given"),
    F_HSTR(EV, note, "note", false, 0, PROTO_NOTE_MAX, "free text note"),
};

static const schema_field_t ev_suggestion[] = {
    F_STR(EV, staff_id, "staff_id", false, 0,
          "author; absent when the suggestion is anonymous"),
    F_BOOL(EV, anonymous, "anonymous",
           "true: the author chose to stay "
           "anonymous (staff_id is then absent)"),
    F_STR(EV, process_id, "process_id", false, 0,
          "process it is about; absent = general"),
    F_STR(EV, step_id, "step_id", false, 0, "step it is about; absent = none"),
    F_ENUM(EV, kind, "kind", true, schema_kind_names,
           "\"problem\" (something that goes wrong) or \"idea\" (an "
           "improvement)"),
    F_HSTR(EV, title, "title", true, 1, PROTO_TITLE_MAX, "one-line summary"),
    F_HSTR(EV, body, "body", false, 0, PROTO_BODY_MAX, "details"),
};

static const schema_field_t ev_vote[] = {
    F_STR(EV, staff_id, "staff_id", true, 1, "the voter"),
    F_STR(EV, suggestion_id, "suggestion_id", true, 1,
          "the suggestion, \"<kiosk_id>:<seq>\" of the event that created it"),
    F_INT(EV, vote, "vote", true, 0, 1,
          "1 = support (+1), 0 = withdraw an earlier +1"),
};

static const schema_field_t ev_rating[] = {
    F_STR(EV, staff_id, "staff_id", true, 1, "the staff member who served"),
    F_STR(EV, step_id, "step_id", false, 0, "the step served; absent = none"),
    F_UINT(EV, score, "score", true, 1, 5, "1 (poor) … 5 (excellent)"),
};

#undef EV

const schema_struct_t schema_event_common =
    STRUCT("event", ev_common,
           "Fields every event carries, besides \"type\" (first key of the "
           "map: \"checkin\", \"suggestion\", \"vote\" or \"rating\"). "
           "(kiosk_id, seq) identifies an event for ever.");

const schema_event_t schema_events[] = {
    {PROTO_EV_CHECKIN,
     STRUCT("checkin", ev_checkin,
            "A staff member did a step of a process and counts what was "
            "done (the measures) and, when the step asks for it, how well "
            "(quality).")},
    {PROTO_EV_SUGGESTION,
     STRUCT("suggestion", ev_suggestion,
            "A problem met or an improvement proposed, about a process, a "
            "step or in general. Its id, used by votes and in FEED, is "
            "\"<kiosk_id>:<seq>\" of this event.")},
    {PROTO_EV_VOTE,
     STRUCT("vote", ev_vote,
            "A +1 for a suggestion, or its withdrawal. One vote counts per "
            "staff member and suggestion; the latest event wins.")},
    {PROTO_EV_RATING,
     STRUCT("rating", ev_rating,
            "A customer rates the service they just got from a staff "
            "member.")},
};
const size_t schema_n_events = sizeof(schema_events) / sizeof(schema_events[0]);

/* ---- List elements --------------------------------------------------- */

static const schema_field_t reject_fields[] = {
    F_UINT(proto_reject_t, seq, "seq", true, 1, I63, "the rejected event"),
    F_INT(proto_reject_t, code, "code", true, 1, INT32_MAX,
          "rejection code (§7.2)"),
    F_HSTR(proto_reject_t, reason, "reason", true, 1, PROTO_REASON_MAX,
           "what is wrong and what to do, for people"),
};
static const schema_struct_t reject_struct =
    STRUCT("reject", reject_fields, "One event of the batch set aside.");

#define SG proto_suggestion_t
static const schema_field_t suggestion_fields[] = {
    F_STR(SG, id, "id", true, 1,
          "\"<kiosk_id>:<seq>\" of the suggestion event"),
    F_ENUM(SG, kind, "kind", true, schema_kind_names,
           "\"problem\" or \"idea\""),
    F_STR(SG, status, "status", true, 1,
          "new, review, accepted, rejected, done, merged, …"),
    F_HSTR(SG, title, "title", true, 1, PROTO_TITLE_MAX, "one-line summary"),
    F_HSTR(SG, body, "body", false, 0, PROTO_BODY_MAX, "details"),
    F_STR(SG, process_id, "process_id", false, 0, "absent = general"),
    F_STR(SG, step_id, "step_id", false, 0, "absent = none"),
    F_STR(SG, author_id, "author_id", false, 0, "absent when anonymous"),
    F_UINT(SG, votes, "votes", true, 0, UINT32_MAX, "current +1 count"),
    F_STR(SG, owner_id, "owner_id", false, 0,
          "who carries out the decision; absent = nobody yet"),
    F_STR(SG, due, "due", false, 0, "due date \"YYYY-MM-DD\"; absent = none"),
    F_HSTR(SG, feedback, "feedback", false, 0, PROTO_BODY_MAX,
           "the decision-makers' answer to the author"),
    F_STR(SG, merged_into, "merged_into", false, 0,
          "id of the suggestion this one was merged into"),
    F_INT(SG, created_ms, "created_ms", true, 0, INT64_MAX,
          "capture time of the suggestion event"),
    F_INT(SG, updated_ms, "updated_ms", true, 0, INT64_MAX,
          "server time of the last change"),
};
#undef SG
static const schema_struct_t suggestion_struct =
    STRUCT("suggestion_state", suggestion_fields,
           "The full current state of one suggestion.");

static const schema_field_t standing_fields[] = {
    F_STR(proto_standing_t, week, "week", true, 1, "ISO week, \"2026-W48\""),
    F_STR(proto_standing_t, staff_id, "staff_id", true, 1, "staff member"),
    F_STR(proto_standing_t, team_id, "team_id", false, 0, "their team"),
    F_INT(proto_standing_t, points, "points", true, INT64_MIN, INT64_MAX,
          "whole points earned this week"),
    F_UINT(proto_standing_t, rank, "rank", true, 1, UINT32_MAX, "1 = first"),
};
static const schema_struct_t standing_struct =
    STRUCT("standing", standing_fields, "One row of the week's leaderboard.");

/* AGENDA rows. Names are cut (between UTF-8 characters) to their bound by
 * the server; ids are never cut. */
#define AS proto_agenda_step_t
static const schema_field_t agenda_step_fields[] = {
    F_STR(AS, process_id, "process_id", false, 0, "the step's process"),
    F_STR(AS, step_id, "step_id", true, 1, "the step"),
    F_STR(AS, name, "name", false, 0,
          "the step's name (zh) in the server's catalogue; absent = unknown"),
    F_STR(AS, measure, "measure", false, 0,
          "primary measure key (the first with a target, else the first)"),
    F_INT(AS, value_x100, "value_x100", false, 0, INT64_MAX,
          "Σ of the primary measure in the week, × 100"),
    F_INT(AS, target_x100, "target_x100", false, 0, INT64_MAX,
          "daily target × 5 × people, × 100; absent = no target"),
    F_INT(AS, pct_x10, "pct_x10", false, 0, INT32_MAX,
          "% of target × 10 (rounded as the agenda shows it); only with a "
          "target"),
    F_STR(AS, rag, "rag", false, 0,
          "\"green\" (≥ 100 %), \"amber\" (≥ 80 %), \"red\"; absent "
          "without a target"),
    F_UINT(AS, people, "people", false, 0, UINT32_MAX,
           "staff with a check-in of the step"),
    F_UINT(AS, checkins, "checkins", false, 0, UINT32_MAX, "check-ins"),
    F_INT(AS, points_x10, "points_x10", false, INT64_MIN, INT64_MAX,
          "points earned (after caps), × 10"),
    F_UINT(AS, quality_x100, "quality_x100", false, 0, 500,
           "quality average × 100; absent = no quality given"),
};
#undef AS
static const schema_struct_t agenda_step_struct =
    STRUCT("agenda_step", agenda_step_fields,
           "One scoreboard row per step, in catalogue order.");

#define AP proto_agenda_person_t
static const schema_field_t agenda_person_fields[] = {
    F_STR(AP, staff_id, "staff_id", true, 1, "staff member"),
    F_STR(AP, team_id, "team_id", false, 0, "their team"),
    F_STR(AP, name, "name", false, 0, "their name"),
    F_UINT(AP, checkins, "checkins", false, 0, UINT32_MAX, "check-ins"),
    F_INT(AP, points_x10, "points_x10", false, INT64_MIN, INT64_MAX,
          "week's points (check-ins, ratings, suggestions), × 10"),
    F_INT(AP, value_x100, "value_x100", false, 0, INT64_MAX,
          "value over the steps with a target they were active on, × 100"),
    F_INT(AP, target_x100, "target_x100", false, 0, INT64_MAX,
          "target over those steps, × 100; absent = none"),
    F_INT(AP, pct_x10, "pct_x10", false, 0, INT32_MAX, "% of target × 10"),
    F_STR(AP, rag, "rag", false, 0, "as for steps"),
};
#undef AP
static const schema_struct_t agenda_person_struct =
    STRUCT("agenda_person", agenda_person_fields,
           "One scoreboard row per person, most points first.");

#define AT proto_agenda_team_t
static const schema_field_t agenda_team_fields[] = {
    F_STR(AT, team_id, "team_id", true, 1, "team"),
    F_STR(AT, name, "name", false, 0, "its name"),
    F_UINT(AT, members, "members", false, 0, UINT32_MAX, "roster members"),
    F_INT(AT, points_x10, "points_x10", false, INT64_MIN, INT64_MAX,
          "sum of its members' points, × 10"),
};
#undef AT
static const schema_struct_t agenda_team_struct =
    STRUCT("agenda_team", agenda_team_fields,
           "One scoreboard row per team, most points first.");

#define AE proto_agenda_exception_t
static const schema_field_t agenda_exception_fields[] = {
    F_STR(AE, kind, "kind", true, 1,
          "below_target_2w, quality_drop, no_activity or no_checkins "
          "(docs/AGENDA.md)"),
    F_STR(AE, subject, "subject", true, 1, "\"step\" or \"person\""),
    F_STR(AE, id, "id", true, 1, "step or staff id"),
    F_STR(AE, name, "name", false, 0, "its name"),
    F_INT(AE, now_x100, "now_x100", false, 0, INT64_MAX,
          "this week: % of target (below_target_2w) or quality average "
          "(quality_drop), × 100"),
    F_INT(AE, before_x100, "before_x100", false, 0, INT64_MAX,
          "the same figure last week, × 100"),
};
#undef AE
static const schema_struct_t agenda_exception_struct =
    STRUCT("agenda_exception", agenda_exception_fields,
           "One exception found automatically, in the agenda's order.");

#define AD proto_agenda_decision_t
static const schema_field_t agenda_decision_fields[] = {
    F_STR(AD, id, "id", true, 1, "suggestion id"),
    F_HSTR(AD, title, "title", true, 1, PROTO_TITLE_MAX, "its title"),
    F_STR(AD, status, "status", true, 1, "new or review"),
    F_UINT(AD, votes, "votes", false, 0, UINT32_MAX, "its +1 count"),
    F_UINT(AD, group, "group", true, 1, UINT32_MAX,
           "group of near-duplicates, 1 = most combined votes"),
    F_UINT(AD, rank, "rank", true, 1, UINT32_MAX,
           "place in its group; 1 = the representative"),
};
#undef AD
static const schema_struct_t agenda_decision_struct =
    STRUCT("agenda_decision", agenda_decision_fields,
           "One idea waiting for a decision.");

/* ---- Messages -------------------------------------------------------- */

#define M proto_msg_t

static const schema_field_t hello_fields[] = {
    F_UINT(M, u.hello.version, "version", true, 1, UINT32_MAX,
           "highest protocol version the kiosk speaks"),
    F_STR(M, u.hello.kiosk_id, "kiosk_id", true, 1, "the kiosk's enrolled id"),
    F_STR(M, u.hello.app_version, "app_version", false, 0,
          "kiosk software version, free text"),
    F_UINT(M, u.hello.catalogue_version, "catalogue_version", true, 0, I63,
           "catalogue version the kiosk holds; 0 = none"),
    F_UINT(M, u.hello.last_seq, "last_seq", true, 0, I63,
           "highest seq in the kiosk's store; 0 = none yet"),
    F_UINT(M, u.hello.outbox_depth, "outbox_depth", true, 0, I63,
           "events captured and not yet acknowledged"),
    F_UINT(M, u.hello.oldest_unsent_s, "oldest_unsent_s", true, 0, I63,
           "age in seconds of the oldest of them; 0 when none"),
    F_INT(M, u.hello.kiosk_time_ms, "kiosk_time_ms", true, 0, INT64_MAX,
          "kiosk wall clock when sending, ms since the epoch"),
    F_UINT(M, u.hello.feed_cursor, "feed_cursor", true, 0, I63,
           "last FEED cursor the kiosk stored; 0 = none"),
};

static const schema_field_t welcome_fields[] = {
    F_UINT(M, u.welcome.version, "version", true, 1, UINT32_MAX,
           "protocol version of the session"),
    F_UINT(M, u.welcome.acked_seq, "acked_seq", true, 0, I63,
           "server's high-water mark for this kiosk"),
    F_UINT(M, u.welcome.catalogue_version, "catalogue_version", true, 0, I63,
           "current catalogue version; 0 = none published"),
    F_UINT(M, u.welcome.feed_cursor, "feed_cursor", true, 0, I63,
           "current feed cursor of the kiosk's site"),
    F_INT(M, u.welcome.server_time_ms, "server_time_ms", true, 0, INT64_MAX,
          "server wall clock when sending, ms since the epoch"),
    F_UINT(M, u.welcome.heartbeat_ms, "heartbeat_ms", true, 1, 86400000,
           "the kiosk sends PING at least this often"),
};

static const schema_field_t push_fields[] = {
    F_EVENTS(M, u.push.events, u.push.n_events, "events", true, PROTO_MAX_BATCH,
             "events in strictly increasing seq (§5)"),
};

static const schema_field_t ack_fields[] = {
    F_UINT(M, u.ack.acked_seq, "acked_seq", true, 0, I63,
           "new high-water mark: every seq ≤ it is stored or rejected"),
    F_ARRAY(M, u.ack.rejects, u.ack.n_rejects, "rejects", false,
            PROTO_MAX_BATCH, proto_reject_t, reject_struct,
            "events of this batch set aside"),
};

static const schema_field_t catreq_fields[] = {
    F_UINT(M, u.catalogue_req.have_version, "have_version", true, 0, I63,
           "version the kiosk holds; 0 = none"),
};

static const schema_field_t catalogue_fields[] = {
    F_UINT(M, u.catalogue.version, "version", true, 0, I63,
           "current catalogue version; 0 = none published"),
    F_BOOL(M, u.catalogue.unchanged, "unchanged",
           "true: have_version is current and yaml is absent"),
    F_LSTR(M, u.catalogue.yaml, u.catalogue.yaml_len, "yaml", false,
           PROTO_CATALOGUE_MAX,
           "the whole catalogue as YAML (docs/CATALOGUE.md)"),
};

static const schema_field_t feedreq_fields[] = {
    F_UINT(M, u.feed_req.cursor, "cursor", true, 0, I63,
           "cursor from the last FEED; 0 = from the beginning"),
    F_UINT(M, u.feed_req.max_items, "max_items", false, 1, PROTO_MAX_FEED,
           "most suggestions wanted; absent = the server's choice"),
};

static const schema_field_t feed_fields[] = {
    F_UINT(M, u.feed.cursor, "cursor", true, 0, I63,
           "pass back in the next FEED_REQ"),
    F_BOOL(M, u.feed.more, "more", "true: more changes wait past cursor"),
    F_ARRAY(M, u.feed.suggestions, u.feed.n_suggestions, "suggestions", false,
            PROTO_MAX_FEED, proto_suggestion_t, suggestion_struct,
            "suggestions changed after the request's cursor, in change order"),
    F_ARRAY(M, u.feed.standings, u.feed.n_standings, "standings", false,
            PROTO_MAX_STANDINGS, proto_standing_t, standing_struct,
            "the current week's leaderboard when it changed, else absent"),
};

static const schema_field_t ping_fields[] = {
    F_UINT(M, u.ping.last_seq, "last_seq", true, 0, I63,
           "highest seq in the kiosk's store"),
    F_UINT(M, u.ping.outbox_depth, "outbox_depth", true, 0, I63,
           "events not yet acknowledged"),
    F_UINT(M, u.ping.oldest_unsent_s, "oldest_unsent_s", true, 0, I63,
           "age in seconds of the oldest of them"),
    F_INT(M, u.ping.kiosk_time_ms, "kiosk_time_ms", true, 0, INT64_MAX,
          "kiosk wall clock when sending"),
};

static const schema_field_t pong_fields[] = {
    F_INT(M, u.pong.server_time_ms, "server_time_ms", true, 0, INT64_MAX,
          "server wall clock when sending"),
    F_UINT(M, u.pong.acked_seq, "acked_seq", true, 0, I63,
           "server's high-water mark for this kiosk"),
    F_UINT(M, u.pong.catalogue_version, "catalogue_version", true, 0, I63,
           "current catalogue version"),
    F_UINT(M, u.pong.feed_cursor, "feed_cursor", true, 0, I63,
           "current feed cursor of the kiosk's site"),
};

static const schema_field_t error_fields[] = {
    F_INT(M, u.error.code, "code", true, INT32_MIN, -1,
          "error code (§7.1), negative"),
    F_HSTR(M, u.error.message, "message", true, 1, PROTO_REASON_MAX,
           "what happened, to what, and what to do"),
};

static const schema_field_t agenda_req_fields[] = {
    F_STR(M, u.agenda_req.week, "week", false, 0,
          "ISO week \"2026-W48\"; absent = the current week of the site"),
};

static const schema_field_t agenda_fields[] = {
    F_STR(M, u.agenda.site, "site", true, 1,
          "the kiosk's enrolled site (never taken from the request)"),
    F_STR(M, u.agenda.week, "week", true, 1, "ISO week of the figures"),
    F_INT(M, u.agenda.generated_ms, "generated_ms", true, 0, INT64_MAX,
          "server wall clock when built"),
    F_UINT(M, u.agenda.catalogue_version, "catalogue_version", false, 0, I63,
           "catalogue the names and targets come from"),
    F_UINT(M, u.agenda.roster, "roster", false, 0, UINT32_MAX, "roster size"),
    F_UINT(M, u.agenda.checked_in, "checked_in", false, 0, UINT32_MAX,
           "roster members with a check-in in the week"),
    F_UINT(M, u.agenda.omitted, "omitted", false, 0, UINT32_MAX,
           "rows left out because a list reached PROTO_MAX_AGENDA_ROWS"),
    F_ARRAY(M, u.agenda.steps, u.agenda.n_steps, "steps", false,
            PROTO_MAX_AGENDA_ROWS, proto_agenda_step_t, agenda_step_struct,
            "scoreboard per step"),
    F_ARRAY(M, u.agenda.people, u.agenda.n_people, "people", false,
            PROTO_MAX_AGENDA_ROWS, proto_agenda_person_t, agenda_person_struct,
            "scoreboard per person"),
    F_ARRAY(M, u.agenda.teams, u.agenda.n_teams, "teams", false,
            PROTO_MAX_AGENDA_ROWS, proto_agenda_team_t, agenda_team_struct,
            "scoreboard per team"),
    F_ARRAY(M, u.agenda.exceptions, u.agenda.n_exceptions, "exceptions", false,
            PROTO_MAX_AGENDA_ROWS, proto_agenda_exception_t,
            agenda_exception_struct, "exceptions found automatically"),
    F_ARRAY(M, u.agenda.decisions, u.agenda.n_decisions, "decisions", false,
            PROTO_MAX_AGENDA_ROWS, proto_agenda_decision_t,
            agenda_decision_struct, "suggestions for decision"),
};

static const schema_field_t admin_req_fields[] = {
    F_STR(M, u.admin_req.op, "op", true, 1, "operation (§6.9)"),
    F_ARGS(M, u.admin_req.args, u.admin_req.n_args, "args", false,
           PROTO_MAX_ADMIN_ARGS, "named arguments of the operation"),
};

static const schema_field_t admin_rep_fields[] = {
    F_INT(M, u.admin_rep.code, "code", true, INT32_MIN, 0,
          "0 = done, else an error code (§7.1)"),
    F_LSTR(M, u.admin_rep.text, u.admin_rep.text_len, "text", false,
           PROTO_ADMIN_TEXT_MAX, "result or error text, for people or files"),
    F_STR(M, u.admin_rep.next, "next", false, 1,
          "a paged answer (§11) has more: send the request again with this "
          "as its `after` argument; absent = the last page"),
};

#undef M

const schema_msg_t schema_msgs[] = {
    {PROTO_MSG_HELLO, "kiosk → server",
     STRUCT("HELLO", hello_fields,
            "Opens a session. The kiosk sends it first on every new "
            "connection and again after any ERROR ESTATE. The server answers "
            "WELCOME, or ERROR with EVERSION, EDENIED or EREVOKED. The lag "
            "figures (outbox_depth, oldest_unsent_s, kiosk_time_ms) feed the "
            "fleet status.")},
    {PROTO_MSG_WELCOME, "server → kiosk",
     STRUCT("WELCOME", welcome_fields,
            "Accepts a HELLO. Every event with seq ≤ acked_seq is stored or "
            "rejected: the kiosk deletes them from its outbox. When acked_seq "
            "is above the kiosk's last_seq, the kiosk continues numbering "
            "above acked_seq (§6.2).")},
    {PROTO_MSG_PUSH, "kiosk → server",
     STRUCT("PUSH", push_fields,
            "A batch of captured events, oldest first, seq strictly "
            "increasing. The server answers ACK after it committed the "
            "batch, or ERROR ESTORE when nothing of it was stored.")},
    {PROTO_MSG_ACK, "server → kiosk",
     STRUCT("ACK", ack_fields,
            "Answers a PUSH once the batch is durable. Cumulative: the kiosk "
            "deletes every event with seq ≤ acked_seq from its outbox, "
            "rejected ones included (they are kept server-side with their "
            "reason).")},
    {PROTO_MSG_CATALOGUE_REQ, "kiosk → server",
     STRUCT("CATALOGUE_REQ", catreq_fields,
            "Asks for the current catalogue unless have_version is it.")},
    {PROTO_MSG_CATALOGUE, "server → kiosk",
     STRUCT("CATALOGUE", catalogue_fields,
            "Answers CATALOGUE_REQ: unchanged = true (and no yaml) when "
            "have_version is current, else the whole catalogue as YAML with "
            "its version.")},
    {PROTO_MSG_FEED_REQ, "kiosk → server",
     STRUCT("FEED_REQ", feedreq_fields,
            "Asks for the suggestion changes of the kiosk's site after "
            "cursor.")},
    {PROTO_MSG_FEED, "server → kiosk",
     STRUCT("FEED", feed_fields,
            "Answers FEED_REQ with at most max_items suggestions, each in its "
            "full current state. The kiosk stores cursor and asks again "
            "while more is true.")},
    {PROTO_MSG_PING, "kiosk → server",
     STRUCT("PING", ping_fields,
            "Heartbeat with the kiosk's lag figures, sent at least every "
            "heartbeat_ms.")},
    {PROTO_MSG_PONG, "server → kiosk",
     STRUCT("PONG", pong_fields,
            "Answers PING. A kiosk seeing a newer catalogue_version or "
            "feed_cursor than it holds fetches it.")},
    {PROTO_MSG_ERROR, "server → kiosk or admin client",
     STRUCT("ERROR", error_fields,
            "The request could not be served. The session goes on unless "
            "the code says otherwise (§6).")},
    {PROTO_MSG_AGENDA_REQ, "kiosk → server",
     STRUCT("AGENDA_REQ", agenda_req_fields,
            "Asks for the weekly agenda summary of the kiosk's own site "
            "(§6.11).")},
    {PROTO_MSG_AGENDA, "server → kiosk",
     STRUCT("AGENDA", agenda_fields,
            "Answers AGENDA_REQ: the scoreboard, exceptions and suggestions "
            "for decision of one site and week, each list at most "
            "PROTO_MAX_AGENDA_ROWS rows, names at most PROTO_NAME_MAX "
            "bytes.")},
    {PROTO_MSG_ADMIN_REQ, "admin client → server",
     STRUCT("ADMIN_REQ", admin_req_fields,
            "An operation on the admin socket (§6.9). Each argument value is "
            "a string of at most PROTO_ADMIN_VALUE_MAX bytes; keys are at "
            "most PROTO_KEY_MAX bytes.")},
    {PROTO_MSG_ADMIN_REP, "server → admin client",
     STRUCT("ADMIN_REP", admin_rep_fields,
            "Answers ADMIN_REQ: code 0 and the result text, or a negative "
            "code and a readable error text.")},
};
const size_t schema_n_msgs = sizeof(schema_msgs) / sizeof(schema_msgs[0]);

/* ---- Limits ---------------------------------------------------------- */

const schema_limit_t schema_limits[] = {
    {"PROTO_MAX_FRAME", PROTO_MAX_FRAME, "bytes",
     "largest frame on the kiosk socket; larger is ETOOBIG unread"},
    {"PROTO_MAX_ADMIN_FRAME", PROTO_MAX_ADMIN_FRAME, "bytes",
     "largest frame on the admin socket"},
    {"PROTO_MAX_DEPTH", PROTO_MAX_DEPTH, "levels",
     "container nesting, the top-level array being level 1 (EDEPTH)"},
    {"PROTO_MAX_KEYS", PROTO_MAX_KEYS, "keys",
     "keys in any body, event or list-element map, known or not (ECOUNT)"},
    {"PROTO_MAX_OBJECTS", PROTO_MAX_OBJECTS, "objects",
     "msgpack objects (every value, key and container) in one frame "
     "(ECOUNT)"},
    {"PROTO_ID_MAX", PROTO_ID_MAX, "bytes",
     "any identifier (kiosk, staff, step, process, suggestion, team)"},
    {"PROTO_KEY_MAX", PROTO_KEY_MAX, "bytes",
     "measure key, admin argument key, admin op"},
    {"PROTO_SHORT_MAX", PROTO_SHORT_MAX, "bytes",
     "app version, status, dates, week"},
    {"PROTO_NOTE_MAX", PROTO_NOTE_MAX, "bytes", "check-in note"},
    {"PROTO_TITLE_MAX", PROTO_TITLE_MAX, "bytes", "suggestion title"},
    {"PROTO_BODY_MAX", PROTO_BODY_MAX, "bytes", "suggestion body, feedback"},
    {"PROTO_REASON_MAX", PROTO_REASON_MAX, "bytes",
     "rejection reason, ERROR message"},
    {"PROTO_CATALOGUE_MAX", PROTO_CATALOGUE_MAX, "bytes",
     "catalogue YAML text"},
    {"PROTO_ADMIN_VALUE_MAX", PROTO_ADMIN_VALUE_MAX, "bytes",
     "one admin argument value"},
    {"PROTO_ADMIN_TEXT_MAX", PROTO_ADMIN_TEXT_MAX, "bytes", "admin reply text"},
    {"PROTO_MAX_BATCH", PROTO_MAX_BATCH, "events",
     "events in one PUSH; rejections in one ACK"},
    {"PROTO_MAX_MEASURES", PROTO_MAX_MEASURES, "entries",
     "measures in one check-in"},
    {"PROTO_MAX_FEED", PROTO_MAX_FEED, "suggestions",
     "suggestions in one FEED"},
    {"PROTO_MAX_STANDINGS", PROTO_MAX_STANDINGS, "rows",
     "leaderboard rows in one FEED"},
    {"PROTO_MAX_ADMIN_ARGS", PROTO_MAX_ADMIN_ARGS, "arguments",
     "arguments in one ADMIN_REQ"},
    {"PROTO_NAME_MAX", PROTO_NAME_MAX, "bytes",
     "a display name in an AGENDA row (cut between characters)"},
    {"PROTO_MAX_AGENDA_ROWS", PROTO_MAX_AGENDA_ROWS, "rows",
     "rows in each list of one AGENDA"},
};
const size_t schema_n_limits = sizeof(schema_limits) / sizeof(schema_limits[0]);

/* ---- Look-ups -------------------------------------------------------- */

const schema_msg_t *schema_msg(int id)
{
    for (size_t i = 0; i < schema_n_msgs; i++)
        if (schema_msgs[i].id == id)
            return &schema_msgs[i];
    return NULL;
}

const schema_event_t *schema_event(int type)
{
    for (size_t i = 0; i < schema_n_events; i++)
        if (schema_events[i].type == type)
            return &schema_events[i];
    return NULL;
}

const schema_event_t *schema_event_by_name(const char *name, size_t len)
{
    for (size_t i = 0; i < schema_n_events; i++) {
        const char *n = schema_events[i].body.name;
        if (strlen(n) == len && memcmp(n, name, len) == 0)
            return &schema_events[i];
    }
    return NULL;
}

const char *proto_msg_name(int type)
{
    const schema_msg_t *m = schema_msg(type);
    return m ? m->body.name : "?";
}

const char *proto_event_name(int type)
{
    const schema_event_t *e = schema_event(type);
    return e ? e->body.name : "?";
}

/* ---- Member access --------------------------------------------------- */

uint64_t schema_get_uint(const void *base, const schema_field_t *f)
{
    const unsigned char *p = (const unsigned char *)base + f->offset;
    switch (f->size) {
    case 1: {
        uint8_t v;
        memcpy(&v, p, 1);
        return v;
    }
    case 2: {
        uint16_t v;
        memcpy(&v, p, 2);
        return v;
    }
    case 4: {
        uint32_t v;
        memcpy(&v, p, 4);
        return v;
    }
    default: {
        uint64_t v;
        memcpy(&v, p, 8);
        return v;
    }
    }
}

int64_t schema_get_int(const void *base, const schema_field_t *f)
{
    const unsigned char *p = (const unsigned char *)base + f->offset;
    switch (f->size) {
    case 1: {
        int8_t v;
        memcpy(&v, p, 1);
        return v;
    }
    case 2: {
        int16_t v;
        memcpy(&v, p, 2);
        return v;
    }
    case 4: {
        int32_t v;
        memcpy(&v, p, 4);
        return v;
    }
    default: {
        int64_t v;
        memcpy(&v, p, 8);
        return v;
    }
    }
}

void schema_set_uint(void *base, const schema_field_t *f, uint64_t v)
{
    unsigned char *p = (unsigned char *)base + f->offset;
    switch (f->size) {
    case 1: {
        uint8_t x = (uint8_t)v;
        memcpy(p, &x, 1);
        break;
    }
    case 2: {
        uint16_t x = (uint16_t)v;
        memcpy(p, &x, 2);
        break;
    }
    case 4: {
        uint32_t x = (uint32_t)v;
        memcpy(p, &x, 4);
        break;
    }
    default:
        memcpy(p, &v, 8);
        break;
    }
}

void schema_set_int(void *base, const schema_field_t *f, int64_t v)
{
    unsigned char *p = (unsigned char *)base + f->offset;
    switch (f->size) {
    case 1: {
        int8_t x = (int8_t)v;
        memcpy(p, &x, 1);
        break;
    }
    case 2: {
        int16_t x = (int16_t)v;
        memcpy(p, &x, 2);
        break;
    }
    case 4: {
        int32_t x = (int32_t)v;
        memcpy(p, &x, 4);
        break;
    }
    default:
        memcpy(p, &v, 8);
        break;
    }
}

/* ---- Deep clear and copy --------------------------------------------- */

#define PTR_AT(base, off) ((void **)((char *)(base) + (off)))
#define U32_AT(base, off) ((uint32_t *)((char *)(base) + (off)))
#define SIZE_AT(base, off) ((size_t *)((char *)(base) + (off)))

static void clear_event_fields(proto_event_t *ev)
{
    schema_clear_fields(ev, &schema_event_common);
    for (size_t i = 0; i < schema_n_events; i++)
        schema_clear_fields(ev, &schema_events[i].body);
}

void schema_clear_fields(void *base, const schema_struct_t *s)
{
    for (size_t i = 0; i < s->n_fields; i++) {
        const schema_field_t *f = &s->fields[i];
        void **pp = PTR_AT(base, f->offset);
        switch (f->type) {
        case SCHEMA_HSTR:
            proto_free(*pp);
            *pp = NULL;
            break;
        case SCHEMA_LSTR:
            proto_free(*pp);
            *pp = NULL;
            *SIZE_AT(base, f->aux_offset) = 0;
            break;
        case SCHEMA_ARGS: {
            proto_arg_t *args = *pp;
            uint32_t n = *U32_AT(base, f->aux_offset);
            for (uint32_t k = 0; args && k < n; k++)
                proto_free(args[k].value);
            proto_free(args);
            *pp = NULL;
            *U32_AT(base, f->aux_offset) = 0;
            break;
        }
        case SCHEMA_ARRAY: {
            char *arr = *pp;
            uint32_t n = *U32_AT(base, f->aux_offset);
            for (uint32_t k = 0; arr && k < n; k++)
                schema_clear_fields(arr + (size_t)k * f->elem_size, f->elem);
            proto_free(arr);
            *pp = NULL;
            *U32_AT(base, f->aux_offset) = 0;
            break;
        }
        case SCHEMA_EVENTS: {
            proto_event_t *evs = *pp;
            uint32_t n = *U32_AT(base, f->aux_offset);
            for (uint32_t k = 0; evs && k < n; k++)
                clear_event_fields(&evs[k]);
            proto_free(evs);
            *pp = NULL;
            *U32_AT(base, f->aux_offset) = 0;
            break;
        }
        default:
            break;
        }
    }
}

/* Sets every owned pointer of s in dst to NULL (and its count or length
 * to 0), so that dst owns nothing before the copy starts. */
static void disown_fields(void *dst, const schema_struct_t *s)
{
    for (size_t i = 0; i < s->n_fields; i++) {
        const schema_field_t *f = &s->fields[i];
        switch (f->type) {
        case SCHEMA_HSTR:
            *PTR_AT(dst, f->offset) = NULL;
            break;
        case SCHEMA_LSTR:
            *PTR_AT(dst, f->offset) = NULL;
            *SIZE_AT(dst, f->aux_offset) = 0;
            break;
        case SCHEMA_ARGS:
        case SCHEMA_ARRAY:
        case SCHEMA_EVENTS:
            *PTR_AT(dst, f->offset) = NULL;
            *U32_AT(dst, f->aux_offset) = 0;
            break;
        default:
            break;
        }
    }
}

/* Does the member of f hold a pointer the struct owns? */
static bool owns_heap(const schema_field_t *f)
{
    return f->type == SCHEMA_HSTR || f->type == SCHEMA_LSTR ||
           f->type == SCHEMA_ARGS || f->type == SCHEMA_ARRAY ||
           f->type == SCHEMA_EVENTS;
}

static char *copy_bytes(const char *s, size_t n)
{
    char *c = proto_malloc(n + 1);
    if (!c)
        return NULL;
    memcpy(c, s, n);
    c[n] = '\0';
    return c;
}

static int copy_event(proto_event_t *dst, const proto_event_t *src);

/* Copies the owned parts of s from src into dst, whose owned pointers are
 * NULL. A pointer already set in dst was copied through another struct
 * sharing the member (event variants) and is left alone. */
static int copy_owned(void *dst, const void *src, const schema_struct_t *s)
{
    for (size_t i = 0; i < s->n_fields; i++) {
        const schema_field_t *f = &s->fields[i];
        if (!owns_heap(f))
            continue;
        void **dp = PTR_AT(dst, f->offset);
        void *sp = *PTR_AT(src, f->offset);
        if (!sp || *dp)
            continue;
        switch (f->type) {
        case SCHEMA_HSTR:
            if (!(*dp = copy_bytes(sp, strlen(sp))))
                return PROTO_ENOMEM;
            break;
        case SCHEMA_LSTR: {
            size_t n = schema_lstr_len(sp, *SIZE_AT(src, f->aux_offset));
            if (!(*dp = copy_bytes(sp, n)))
                return PROTO_ENOMEM;
            *SIZE_AT(dst, f->aux_offset) = n;
            break;
        }
        case SCHEMA_ARGS: {
            const proto_arg_t *sa = sp;
            uint32_t n = *U32_AT(src, f->aux_offset);
            if (n == 0)
                break;
            proto_arg_t *da = proto_malloc((size_t)n * sizeof(*da));
            if (!da)
                return PROTO_ENOMEM;
            memset(da, 0, (size_t)n * sizeof(*da));
            *dp = da;
            *U32_AT(dst, f->aux_offset) = n;
            for (uint32_t k = 0; k < n; k++) {
                memcpy(da[k].key, sa[k].key, sizeof(da[k].key));
                size_t vn = schema_lstr_len(sa[k].value, sa[k].value_len);
                da[k].value_len = vn;
                if (sa[k].value && !(da[k].value = copy_bytes(sa[k].value, vn)))
                    return PROTO_ENOMEM;
            }
            break;
        }
        case SCHEMA_ARRAY:
        case SCHEMA_EVENTS: {
            uint32_t n = *U32_AT(src, f->aux_offset);
            if (n == 0)
                break;
            char *da = proto_malloc((size_t)n * f->elem_size);
            if (!da)
                return PROTO_ENOMEM;
            memset(da, 0, (size_t)n * f->elem_size);
            *dp = da;
            *U32_AT(dst, f->aux_offset) = n;
            for (uint32_t k = 0; k < n; k++) {
                char *de = da + (size_t)k * f->elem_size;
                const char *se = (const char *)sp + (size_t)k * f->elem_size;
                int rc;
                if (f->type == SCHEMA_EVENTS) {
                    rc = copy_event((proto_event_t *)de,
                                    (const proto_event_t *)se);
                } else {
                    memcpy(de, se, f->elem_size);
                    disown_fields(de, f->elem);
                    rc = copy_owned(de, se, f->elem);
                }
                if (rc < 0)
                    return rc;
            }
            break;
        }
        default:
            break;
        }
    }
    return 0;
}

int schema_copy_fields(void *dst, const void *src, const schema_struct_t *s)
{
    disown_fields(dst, s);
    return copy_owned(dst, src, s);
}

/* An event's heap parts live in the members of all variants (the struct
 * is flat), so copy and clear walk every variant, not only ev->type's. */
static int copy_event(proto_event_t *dst, const proto_event_t *src)
{
    memcpy(dst, src, sizeof(*dst));
    disown_fields(dst, &schema_event_common);
    for (size_t i = 0; i < schema_n_events; i++)
        disown_fields(dst, &schema_events[i].body);
    int rc = copy_owned(dst, src, &schema_event_common);
    for (size_t i = 0; rc == 0 && i < schema_n_events; i++)
        rc = copy_owned(dst, src, &schema_events[i].body);
    return rc;
}

void proto_event_clear(proto_event_t *ev)
{
    if (!ev)
        return;
    clear_event_fields(ev);
    memset(ev, 0, sizeof(*ev));
}

int proto_event_copy(proto_event_t *dst, const proto_event_t *src)
{
    if (!dst || !src)
        return PROTO_EINVAL;
    int rc = copy_event(dst, src);
    if (rc < 0)
        proto_event_clear(dst);
    return rc;
}

int proto_msg_copy(proto_msg_t *dst, const proto_msg_t *src)
{
    if (!dst || !src)
        return PROTO_EINVAL;
    const schema_msg_t *m = schema_msg(src->type);
    if (!m) {
        memset(dst, 0, sizeof *dst);
        return PROTO_EINVAL;
    }
    memcpy(dst, src, sizeof *dst);
    int rc = schema_copy_fields(dst, src, &m->body);
    if (rc < 0)
        proto_msg_clear(dst);
    return rc;
}

void proto_msg_clear(proto_msg_t *msg)
{
    if (!msg)
        return;
    const schema_msg_t *m = schema_msg(msg->type);
    if (m)
        schema_clear_fields(msg, &m->body);
    memset(msg, 0, sizeof(*msg));
}
