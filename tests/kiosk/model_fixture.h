/*
 * model_fixture.h — the kiosk model the model and app tests start from:
 * the sample configuration (Chinese, Shanghai time, kiosk k1, capture
 * allowed) at a given window size, and a model that has been given
 * tests/kiosk/model_catalogue.yaml. One place for it, so a new config
 * field or fixture path is changed once and every test sees the same
 * kiosk. Header-only: each test program includes it once, after
 * <cmocka.h>.
 */
#ifndef TEST_MODEL_FIXTURE_H
#define TEST_MODEL_FIXTURE_H

#include <stdint.h>

#include "kiosk/model.h"
#include "protocol/catalogue.h"

/* The sample kiosk's configuration; a test sets what it needs beyond it
 * (data_dir, ime, similar, another language) before fx_model_new. */
static inline kiosk_model_config_t fx_model_config(int w, int h)
{
    return (kiosk_model_config_t){
        .strings_dir = STEPWISE_ASSETS "/strings",
        .lang = KIOSK_LANG_ZH,
        .width = w,
        .height = h,
        .tz_offset_s = 8 * 3600,
        .kiosk_id = "k1",
        .can_capture = true,
    };
}

/* A model from cfg that has been given the fixture catalogue at now;
 * fails the test when either cannot be made. Caller owns the result. */
static inline kiosk_model_t *fx_model_new(const kiosk_model_config_t *cfg,
                                          int64_t now)
{
    char err[512];
    kiosk_model_t *m = kiosk_model_new(cfg, err, sizeof err);
    if (!m)
        fail_msg("model: %s", err);
    proto_catalogue_t *cat = proto_catalogue_load_file(
        STEPWISE_TESTDATA "/model_catalogue.yaml", err, sizeof err);
    if (!cat)
        fail_msg("fixture catalogue: %s", err);
    kiosk_input_t in = {.kind = KIOSK_IN_CATALOGUE, .catalogue = cat};
    assert_int_equal(kiosk_model_update(m, &in, now), 0);
    return m;
}

#endif
