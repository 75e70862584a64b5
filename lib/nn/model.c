/* SPDX-License-Identifier: MIT */
/* Sequential models: building from a spec, parameter layout, forward and backward passes,
 * bit-width switching, calibration, printing. */
#include <cjson/cJSON.h>
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <volk/volk.h>

#include "nn/nn_internal.h"
#include "nn/spec.h"
#include "qsdr/phy.h"
#include "qsdr/rng.h"

#define NONE ((size_t)-1)

int qsdr_nn_grow(float **p, size_t *cap, size_t n)
{
    if (*p && *cap >= n) return QSDR_OK;
    float *q = qsdr_aligned_alloc((n ? n : 1) * sizeof(float));
    if (!q) return qsdr_error(QSDR_ENOMEM, "nn: cannot allocate %zu floats", n);
    memset(q, 0, (n ? n : 1) * sizeof(float));
    qsdr_aligned_free(*p);
    *p = q;
    *cap = n;
    return QSDR_OK;
}

/* ---- spec helpers --------------------------------------------------------------------------- */
typedef struct {
    const qsdr_nn_model *m;
    const char *origin;
    size_t layer;
    const char *type;
} ctx;

const char *qsdr_nn_at(const qsdr_nn_model *m, const char *origin, const void *node)
{
    return qsdr_nn_spec_at(m->spec_pos, m->n_spec_pos, node, origin);
}
#define AT(node) qsdr_nn_at(m, origin, (node))
#define SHOW(v) qsdr_nn_spec_show(v)

static int get_int(const ctx *c, const cJSON *o, const char *key, long dflt, long lo, long hi, long *out)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    if (!v) {
        if (dflt == LONG_MIN) return qsdr_error(QSDR_EINVAL, "%s: layer %zu (%s): `%s` is required", qsdr_nn_at(c->m, c->origin, o), c->layer, c->type, key);
        *out = dflt;
        return QSDR_OK;
    }
    if (!qsdr_nn_json_int(v, (double)lo, (double)hi))
        return qsdr_error(QSDR_ERANGE, "%s: layer %zu (%s): `%s` must be an integer in [%ld, %ld], got %s", qsdr_nn_at(c->m, c->origin, v),
                          c->layer, c->type, key, lo, hi, SHOW(v));
    *out = (long)v->valuedouble;
    return QSDR_OK;
}

static int get_num(const ctx *c, const cJSON *o, const char *key, double dflt, double lo, double hi, float *out)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    if (!v) {
        *out = (float)dflt;
        return QSDR_OK;
    }
    if (!cJSON_IsNumber(v) || !(v->valuedouble >= lo && v->valuedouble <= hi))
        return qsdr_error(QSDR_ERANGE, "%s: layer %zu (%s): `%s` must be a number in [%g, %g], got %s", qsdr_nn_at(c->m, c->origin, v),
                          c->layer, c->type, key, lo, hi, SHOW(v));
    *out = (float)v->valuedouble;
    return QSDR_OK;
}

/* an int or a pair [a, b] */
static int get_pair(const ctx *c, const cJSON *o, const char *key, long dflt, long lo, long hi, size_t *a, size_t *b)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    if (v && cJSON_IsArray(v)) {
        if (cJSON_GetArraySize(v) != 2)
            return qsdr_error(QSDR_ERANGE, "%s: layer %zu (%s): `%s` must be an integer or a pair [h, w], got a list of %d",
                              qsdr_nn_at(c->m, c->origin, v), c->layer, c->type, key, cJSON_GetArraySize(v));
        long x[2] = {0, 0};
        for (int i = 0; i < 2; i++) {
            const cJSON *e = cJSON_GetArrayItem(v, i);
            if (!qsdr_nn_json_int(e, (double)lo, (double)hi))
                return qsdr_error(QSDR_ERANGE, "%s: layer %zu (%s): `%s` entries must be integers in [%ld, %ld], got %s",
                                  qsdr_nn_at(c->m, c->origin, e), c->layer, c->type, key, lo, hi, SHOW(e));
            x[i] = (long)e->valuedouble;
        }
        *a = (size_t)x[0], *b = (size_t)x[1];
        return QSDR_OK;
    }
    long x = 0;
    int rc = get_int(c, o, key, dflt, lo, hi, &x);
    if (rc) return rc;
    *a = *b = (size_t)x;
    return QSDR_OK;
}

/* a true/false key: *out = dflt when absent */
static int get_bool(const qsdr_nn_model *m, const char *origin, const char *where, const cJSON *o, const char *key, bool dflt, bool *out)
{
    const cJSON *v = o ? cJSON_GetObjectItemCaseSensitive(o, key) : NULL;
    if (v && !cJSON_IsBool(v))
        return qsdr_error(QSDR_EINVAL, "%s: %s: `%s` must be true or false, got %s", AT(v), where, key, SHOW(v));
    *out = v ? cJSON_IsTrue(v) : dflt;
    return QSDR_OK;
}

static int parse_bits(const qsdr_nn_model *m, const char *origin, const char *where, const cJSON *v, int dflt, int *out)
{
    if (!v) {
        *out = dflt;
        return QSDR_OK;
    }
    if (cJSON_IsString(v) && (!strcmp(v->valuestring, "float") || !strcmp(v->valuestring, "fp32"))) {
        *out = QSDR_NN_FLOAT;
        return QSDR_OK;
    }
    if (qsdr_nn_json_int(v, 1, 8)) {
        *out = (int)v->valuedouble;
        return QSDR_OK;
    }
    return qsdr_error(QSDR_ERANGE, "%s: %s: bits must be 1..8 or \"float\", got %s", AT(v), where, SHOW(v));
}

static bool key_allowed(const char *k, const char *const *allowed)
{
    static const char *const common[] = {"type", "name", NULL};
    for (const char *const *a = common; *a; a++)
        if (!strcmp(*a, k)) return true;
    for (const char *const *a = allowed; a && *a; a++)
        if (!strcmp(*a, k)) return true;
    return false;
}

/* ---- building -------------------------------------------------------------------------------- */
static const struct {
    const char *name;
    qsdr_nn_ltype type;
    int act;
    const char *const keys[8];
} layer_kinds[] = {
    {"linear", L_LINEAR, 0, {"out", "bias", "quant", NULL}},
    {"conv1d", L_CONV1D, 0, {"out", "kernel", "stride", "pad", "bias", "quant", NULL}},
    {"conv2d", L_CONV2D, 0, {"out", "kernel", "stride", "pad", "bias", "quant", NULL}},
    {"batchnorm", L_BN, 0, {"eps", "momentum", NULL}},
    {"relu", L_ACT, QSDR_NN_ACT_RELU, {NULL}},
    {"leaky_relu", L_ACT, QSDR_NN_ACT_LEAKY, {"slope", NULL}},
    {"tanh", L_ACT, QSDR_NN_ACT_TANH, {NULL}},
    {"sigmoid", L_ACT, QSDR_NN_ACT_SIGMOID, {NULL}},
    {"hardtanh", L_ACT, QSDR_NN_ACT_HARDTANH, {"min", "max", NULL}},
    {"elu", L_ACT, QSDR_NN_ACT_ELU, {"alpha", NULL}},
    {"maxpool", L_MAXPOOL, 0, {"kernel", "stride", NULL}},
    {"avgpool", L_AVGPOOL, 0, {"kernel", "stride", NULL}},
    {"gap", L_GAP, 0, {NULL}},
    {"flatten", L_FLATTEN, 0, {NULL}},
    {"dropout", L_DROPOUT, 0, {"p", NULL}},
    {"powernorm", L_POWERNORM, 0, {"energy", NULL}},
    {"softmax", L_SOFTMAX, 0, {NULL}},
};

static int setup_quant(qsdr_nn_model *m, qsdr_nn_layer *l, const cJSON *lq, const cJSON *gq, const char *origin,
                       size_t idx, bool prev_nonneg)
{
    char where[64];
    snprintf(where, sizeof where, "layer %zu (%s) quant", idx, l->type_name);
    if ((lq && cJSON_IsBool(lq) && cJSON_IsFalse(lq)) || (!lq && !gq)) { /* quant: false, or no quant anywhere */
        l->fixed = l->noquant = true;
        l->wq.bits = l->aq.bits = QSDR_NN_FLOAT;
        return qsdr_nn_quant_setup(&l->wq, "dorefa", QSDR_NN_FLOAT, true, AT(lq)) ||
               qsdr_nn_quant_setup(&l->aq, prev_nonneg ? "pact" : "sym", QSDR_NN_FLOAT, false, AT(lq));
    }
    if (lq && !cJSON_IsObject(lq)) return qsdr_error(QSDR_EINVAL, "%s: %s must be a mapping or false, got %s", AT(lq), where, SHOW(lq));
    static const char *const qkeys[] = {"weight", "act", "bits", "wbits", "abits", "fixed", "alpha", NULL};
    for (const cJSON *k = lq ? lq->child : NULL; k; k = k->next)
        if (!key_allowed(k->string, qkeys))
            return qsdr_error(QSDR_EINVAL, "%s: %s: unknown key `%s` (%sallowed: weight, act, bits, wbits, abits, fixed, alpha)",
                              AT(k), where, k->string, qsdr_suggest_among(k->string, qkeys));
    const cJSON *src[2] = {lq, gq};
    const char *wname = "dorefa", *aname = NULL;
    const cJSON *wnode = NULL, *anode = NULL; /* where the quantizer names stand */
    int bits = QSDR_NN_FLOAT, wbits, abits;
    if (!gq && !lq) {
        wbits = abits = QSDR_NN_FLOAT;
    } else {
        for (int s = 1; s >= 0; s--) {
            const cJSON *o = src[s];
            if (!o) continue;
            const char *const names[2] = {"weight", "act"};
            for (int j = 0; j < 2; j++) {
                const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, names[j]);
                if (v && !cJSON_IsString(v))
                    return qsdr_error(QSDR_EINVAL, "%s: %s: `%s` must name a quantizer, got %s", AT(v), s ? "quant" : where, names[j], SHOW(v));
                if (v && j == 0) wname = v->valuestring, wnode = v;
                if (v && j == 1) aname = v->valuestring, anode = v;
            }
            if (parse_bits(m, origin, where, cJSON_GetObjectItemCaseSensitive(o, "bits"), bits, &bits)) return QSDR_ERANGE;
        }
        wbits = abits = bits;
        for (int s = 1; s >= 0; s--) {
            const cJSON *o = src[s];
            if (!o) continue;
            if (parse_bits(m, origin, where, cJSON_GetObjectItemCaseSensitive(o, "wbits"), wbits, &wbits) ||
                parse_bits(m, origin, where, cJSON_GetObjectItemCaseSensitive(o, "abits"), abits, &abits))
                return QSDR_ERANGE;
        }
    }
    if (!aname || !strcmp(aname, "auto")) aname = prev_nonneg ? "pact" : "sym";
    if (get_bool(m, origin, where, lq, "fixed", false, &l->fixed)) return QSDR_EINVAL;
    int rc = qsdr_nn_quant_setup(&l->wq, wname, wbits, true, AT(wnode ? wnode : lq));
    if (!rc) rc = qsdr_nn_quant_setup(&l->aq, aname, abits, false, AT(anode ? anode : lq));
    const cJSON *al = lq ? cJSON_GetObjectItemCaseSensitive(lq, "alpha") : NULL;
    const bool global = !al && gq;
    if (global) al = cJSON_GetObjectItemCaseSensitive(gq, "alpha");
    if (!rc && al && !(cJSON_IsNumber(al) && al->valuedouble > 0 && al->valuedouble <= 1e6))
        return qsdr_error(QSDR_ERANGE, "%s: %s: `alpha` (the activations' initial clip) must be a number in (0, 1e6], got %s", AT(al),
                          global ? "quant" : where, SHOW(al));
    if (al) l->aq.opt[0] = (float)al->valuedouble;
    return rc;
}

static bool nonneg_output(const qsdr_nn_layer *l, bool prev)
{
    switch (l->type) {
    case L_ACT: return l->act == QSDR_NN_ACT_RELU || l->act == QSDR_NN_ACT_SIGMOID;
    case L_MAXPOOL: case L_AVGPOOL: case L_GAP: case L_FLATTEN: case L_DROPOUT: return prev;
    case L_SOFTMAX: return true;
    default: return false;
    }
}

static int build(qsdr_nn_model *m, const char *origin)
{
    cJSON *spec = m->spec;
    /* a misspelt section (`lossy:`, `trian:`) was ignored, silently */
    static const char *const tkeys[] = {"name", "seed", "input", "quant", "layers", "loss", "train", "data", NULL};
    for (const cJSON *k = cJSON_IsObject(spec) ? spec->child : NULL; k; k = k->next)
        if (!key_allowed(k->string, tkeys))
            return qsdr_error(QSDR_EINVAL, "%s: unknown top-level key `%s` (%sallowed: name, seed, input, quant, layers, "
                              "loss, train, data)", AT(k), k->string, qsdr_suggest_among(k->string, tkeys));
    const cJSON *in = cJSON_GetObjectItemCaseSensitive(spec, "input");
    size_t dims[3] = {1, 1, 1};
    int nd = in && cJSON_IsArray(in) ? cJSON_GetArraySize(in) : in && cJSON_IsNumber(in) ? 1 : 0;
    if (nd < 1 || nd > 3)
        return qsdr_error(QSDR_EINVAL, "%s: `input` must be the per-sample shape: [features], [channels, length] or [channels, height, width], got %s",
                          AT(in), in && cJSON_IsArray(in) && nd > 3 ? "a list of more than 3" : SHOW(in));
    for (int i = 0; i < nd; i++) {
        const cJSON *e = cJSON_IsArray(in) ? cJSON_GetArrayItem(in, i) : in;
        if (!qsdr_nn_json_int(e, 1, 1e7))
            return qsdr_error(QSDR_ERANGE, "%s: `input` entries must be integers in [1, 10000000], got %s", AT(e), SHOW(e));
        dims[i] = (size_t)e->valuedouble;
    }
    if (nd == 1) m->in_c = dims[0], m->in_h = 1, m->in_w = 1;
    else if (nd == 2) m->in_c = dims[0], m->in_h = 1, m->in_w = dims[1];
    else m->in_c = dims[0], m->in_h = dims[1], m->in_w = dims[2];

    const cJSON *gq = cJSON_GetObjectItemCaseSensitive(spec, "quant");
    if (gq && !cJSON_IsObject(gq)) return qsdr_error(QSDR_EINVAL, "%s: `quant` must be a mapping, got %s", AT(gq), SHOW(gq));
    static const char *const gkeys[] = {"weight", "act", "bits", "wbits", "abits", "bn_sets", "alpha", NULL};
    for (const cJSON *k = gq ? gq->child : NULL; k; k = k->next)
        if (!key_allowed(k->string, gkeys))
            return qsdr_error(QSDR_EINVAL, "%s: quant: unknown key `%s` (%sallowed: weight, act, bits, wbits, abits, bn_sets, alpha)", AT(k),
                              k->string, qsdr_suggest_among(k->string, gkeys));
    const cJSON *bs = gq ? cJSON_GetObjectItemCaseSensitive(gq, "bn_sets") : NULL;
    m->n_bn_bits = 0;
    if (bs) {
        if (!cJSON_IsArray(bs) || cJSON_GetArraySize(bs) < 1 || cJSON_GetArraySize(bs) > 8)
            return qsdr_error(QSDR_ERANGE, "%s: quant.bn_sets must list 1..8 bit-widths (1..8 or \"float\"), got %s", AT(bs),
                              cJSON_IsArray(bs) ? (cJSON_GetArraySize(bs) ? "more than 8" : "an empty list") : SHOW(bs));
        for (int i = 0; i < cJSON_GetArraySize(bs); i++)
            if (parse_bits(m, origin, "quant.bn_sets", cJSON_GetArrayItem(bs, i), 0, &m->bn_bits[m->n_bn_bits++])) return QSDR_ERANGE;
    }

    const cJSON *ls = cJSON_GetObjectItemCaseSensitive(spec, "layers");
    if (!ls || !cJSON_IsArray(ls) || cJSON_GetArraySize(ls) < 1)
        return qsdr_error(QSDR_EINVAL, "%s: `layers` must be a non-empty list, got %s", AT(ls),
                          ls && cJSON_IsArray(ls) ? "an empty list" : SHOW(ls));
    m->n_layers = (size_t)cJSON_GetArraySize(ls);
    m->layers = qsdr_calloc(m->n_layers, sizeof(qsdr_nn_layer));
    if (!m->layers) return QSDR_ENOMEM;
    size_t c = m->in_c, h = m->in_h, w = m->in_w, np = 0, nb = 0;
    bool nonneg = false;
    for (size_t i = 0; i < m->n_layers; i++) {
        const cJSON *lj = cJSON_GetArrayItem(ls, (int)i);
        qsdr_nn_layer *l = &m->layers[i];
        const cJSON *t = cJSON_IsObject(lj) ? cJSON_GetObjectItemCaseSensitive(lj, "type") : NULL;
        if (!t || !cJSON_IsString(t)) return qsdr_error(QSDR_EINVAL, "%s: layer %zu: each layer is a mapping with a `type`", AT(lj), i);
        size_t k;
        for (k = 0; k < sizeof layer_kinds / sizeof *layer_kinds; k++)
            if (!strcmp(layer_kinds[k].name, t->valuestring)) break;
        if (k == sizeof layer_kinds / sizeof *layer_kinds) {
            const char *kinds[sizeof layer_kinds / sizeof *layer_kinds + 1] = {0};
            char list[256] = "";
            for (size_t j = 0; j < sizeof layer_kinds / sizeof *layer_kinds; j++) {
                kinds[j] = layer_kinds[j].name;
                snprintf(list + strlen(list), sizeof list - strlen(list), "%s%s", j ? ", " : "", kinds[j]);
            }
            return qsdr_error(QSDR_EINVAL, "%s: layer %zu: unknown type `%s` (%s%s)", AT(t), i, t->valuestring,
                              qsdr_suggest_among(t->valuestring, kinds), list);
        }
        ctx cx = {m, origin, i, layer_kinds[k].name};
        for (const cJSON *kv = lj->child; kv; kv = kv->next)
            if (!key_allowed(kv->string, layer_kinds[k].keys)) {
                const char *names[11] = {"type", "name"};
                char list[160] = "type, name";
                for (size_t j = 0; layer_kinds[k].keys[j]; j++) {
                    names[2 + j] = layer_kinds[k].keys[j];
                    snprintf(list + strlen(list), sizeof list - strlen(list), ", %s", layer_kinds[k].keys[j]);
                }
                return qsdr_error(QSDR_EINVAL, "%s: layer %zu (%s): unknown key `%s` (%sallowed: %s)", AT(kv), i, cx.type, kv->string,
                                  qsdr_suggest_among(kv->string, names), list);
            }
        l->type = layer_kinds[k].type;
        l->type_name = layer_kinds[k].name;
        l->act = layer_kinds[k].act;
        l->in_c = c, l->in_h = h, l->in_w = w;
        l->w_off = l->b_off = l->bn_off = l->stat_off = NONE;
        l->range_w = l->range_a = -1;
        l->fin = c * h * w;
        l->ipack_bits = -1;
        long v;
        int rc = QSDR_OK;
        switch (l->type) {
        case L_LINEAR:
            if ((rc = get_int(&cx, lj, "out", LONG_MIN, 1, 1 << 20, &v))) return rc;
            c = (size_t)v, h = w = 1;
            l->n_w = c * l->fin;
            break;
        case L_CONV1D:
        case L_CONV2D: {
            if ((rc = get_int(&cx, lj, "out", LONG_MIN, 1, 1 << 16, &v))) return rc;
            qsdr_nn_conv_geom *g = &l->g;
            g->c = c, g->h = h, g->w = w, g->cout = (size_t)v;
            if (l->type == L_CONV1D) {
                long kk, s, p;
                if ((rc = get_int(&cx, lj, "kernel", LONG_MIN, 1, 1024, &kk)) || (rc = get_int(&cx, lj, "stride", 1, 1, 1024, &s)) ||
                    (rc = get_int(&cx, lj, "pad", 0, 0, 1024, &p)))
                    return rc;
                if (h != 1) return qsdr_error(QSDR_EINVAL, "%s: layer %zu (conv1d): input must be (channels, length), got height %zu", AT(lj), i, h);
                g->kh = 1, g->kw = (size_t)kk, g->sy = 1, g->sx = (size_t)s, g->py = 0, g->px = (size_t)p;
            } else {
                if ((rc = get_pair(&cx, lj, "kernel", LONG_MIN, 1, 64, &g->kh, &g->kw)) ||
                    (rc = get_pair(&cx, lj, "stride", 1, 1, 64, &g->sy, &g->sx)) || (rc = get_pair(&cx, lj, "pad", 0, 0, 64, &g->py, &g->px)))
                    return rc;
            }
            if (h + 2 * g->py < g->kh || w + 2 * g->px < g->kw)
                return qsdr_error(QSDR_ERANGE, "%s: layer %zu (%s): kernel %zux%zu larger than the padded input %zux%zu", AT(lj), i,
                                  cx.type, g->kh, g->kw, h + 2 * g->py, w + 2 * g->px);
            g->ho = (h + 2 * g->py - g->kh) / g->sy + 1;
            g->wo = (w + 2 * g->px - g->kw) / g->sx + 1;
            l->n_w = g->cout * c * g->kh * g->kw;
            c = g->cout, h = g->ho, w = g->wo;
            break;
        }
        case L_BN:
            if ((rc = get_num(&cx, lj, "eps", 1e-5, 1e-12, 1, &l->bn_eps)) || (rc = get_num(&cx, lj, "momentum", 0.1, 0, 1, &l->bn_momentum)))
                return rc;
            l->bn_sets = m->n_bn_bits ? m->n_bn_bits : 1;
            break;
        case L_ACT:
            if (l->act == QSDR_NN_ACT_LEAKY) rc = get_num(&cx, lj, "slope", 0.01, 0, 1, &l->a);
            if (l->act == QSDR_NN_ACT_ELU) rc = get_num(&cx, lj, "alpha", 1, 0, 100, &l->a);
            if (l->act == QSDR_NN_ACT_HARDTANH) {
                rc = get_num(&cx, lj, "min", -1, -1e6, 1e6, &l->a);
                if (!rc) rc = get_num(&cx, lj, "max", 1, -1e6, 1e6, &l->b);
                if (!rc && !(l->b > l->a)) rc = qsdr_error(QSDR_ERANGE, "%s: layer %zu (hardtanh): needs min < max, got min %g, max %g", AT(lj), i, l->a, l->b);
            }
            if (rc) return rc;
            break;
        case L_MAXPOOL:
        case L_AVGPOOL: {
            qsdr_nn_conv_geom *g = &l->g;
            if ((rc = get_pair(&cx, lj, "kernel", LONG_MIN, 1, 64, &g->kh, &g->kw))) return rc;
            if (h == 1) g->kh = 1; /* 1-d signals pool along their length */
            size_t dy = g->kh, dx = g->kw;
            if ((rc = get_pair(&cx, lj, "stride", (long)dx, 1, 64, &dy, &dx))) return rc;
            g->sy = h == 1 ? 1 : dy, g->sx = dx;
            if (g->kh > h || g->kw > w)
                return qsdr_error(QSDR_ERANGE, "%s: layer %zu (%s): window %zux%zu larger than the input %zux%zu", AT(lj), i, cx.type, g->kh, g->kw, h, w);
            g->c = c, g->h = h, g->w = w, g->cout = c;
            g->ho = (h - g->kh) / g->sy + 1, g->wo = (w - g->kw) / g->sx + 1;
            h = g->ho, w = g->wo;
            break;
        }
        case L_GAP: {
            qsdr_nn_conv_geom *g = &l->g;
            g->c = g->cout = c, g->h = g->kh = h, g->w = g->kw = w, g->sy = g->sx = 1, g->ho = g->wo = 1;
            h = w = 1;
            break;
        }
        case L_FLATTEN: c = c * h * w, h = w = 1; break;
        case L_DROPOUT:
            if ((rc = get_num(&cx, lj, "p", 0.5, 0, 0.99, &l->a))) return rc;
            break;
        case L_POWERNORM:
            if ((rc = get_num(&cx, lj, "energy", (double)l->fin / 2, 1e-9, 1e12, &l->a))) return rc;
            break;
        case L_SOFTMAX: break;
        }
        l->out_c = c, l->out_h = h, l->out_w = w, l->fout = c * h * w;
        /* parameters */
        if (l->type == L_LINEAR || l->type == L_CONV1D || l->type == L_CONV2D) {
            char where[64];
            snprintf(where, sizeof where, "layer %zu (%s)", i, cx.type);
            if ((rc = get_bool(m, origin, where, lj, "bias", true, &l->bias))) return rc;
            l->w_off = np, np += l->n_w;
            if (l->bias) l->b_off = np, np += l->out_c;
            if ((rc = setup_quant(m, l, cJSON_GetObjectItemCaseSensitive(lj, "quant"), gq, origin, i, nonneg))) return rc;
            /* layers that can never be quantized carry no quantizer parameters (so plain float
             * models have exactly PyTorch's tensors) */
            l->wq.n_param = !l->noquant && l->wq.ops->n_params ? l->wq.ops->n_params(l->out_c) : 0;
            l->aq.n_param = !l->noquant && l->aq.ops->n_params ? l->aq.ops->n_params(1) : 0;
            np += l->wq.n_param + l->aq.n_param;
            l->wq_dirty = true;
        }
        if (l->type == L_BN) {
            l->bn_off = np, np += l->bn_sets * 2 * c;
            l->stat_off = nb, nb += l->bn_sets * 2 * c;
        }
        nonneg = nonneg_output(l, nonneg);
    }
    m->n_params = np;
    m->n_bufs = nb;
    m->params = qsdr_aligned_alloc((np + 1) * sizeof(float));
    m->grads = qsdr_aligned_alloc((np + 1) * sizeof(float));
    m->bufs = qsdr_aligned_alloc((nb + 1) * sizeof(float));
    if (!m->params || !m->grads || !m->bufs) return qsdr_error(QSDR_ENOMEM, "%s: cannot allocate %zu parameters", origin, np);
    memset(m->grads, 0, (np + 1) * sizeof(float));
    /* quantizer parameter views: after each layer's weights and bias */
    for (size_t i = 0; i < m->n_layers; i++) {
        qsdr_nn_layer *l = &m->layers[i];
        if (l->w_off == NONE) continue;
        size_t o = l->w_off + l->n_w + (l->bias ? l->out_c : 0);
        if (l->wq.n_param) l->wq.param = m->params + o, l->wq.grad = m->grads + o;
        o += l->wq.n_param;
        if (l->aq.n_param) l->aq.param = m->params + o, l->aq.grad = m->grads + o;
    }
    return QSDR_OK;
}

static uint64_t mix(uint64_t a, uint64_t b)
{
    uint64_t z = a * 0x9E3779B97F4A7C15ull ^ (b + 0xD1B54A32D192ED03ull + (a << 6) + (a >> 2));
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

void qsdr_nn_model_init(qsdr_nn_model *m, uint64_t seed)
{
    m->seed = seed;
    for (size_t i = 0; i < m->n_layers; i++) {
        qsdr_nn_layer *l = &m->layers[i];
        l->range_w = l->range_a = -1; /* quantizer ranges back to their initial values */
        if (l->w_off != NONE) {
            size_t fan_in = l->n_w / l->out_c;
            float bound = 1.0f / sqrtf((float)fan_in);
            float *w = m->params + l->w_off;
            qsdr_randu_f32(mix(seed, 2 * i), 0, l->n_w, w);
            for (size_t j = 0; j < l->n_w; j++) w[j] = (2 * w[j] - 1) * bound;
            if (l->bias) {
                float *b = m->params + l->b_off;
                qsdr_randu_f32(mix(seed, 2 * i + 1), 0, l->out_c, b);
                for (size_t j = 0; j < l->out_c; j++) b[j] = (2 * b[j] - 1) * bound;
            }
            if (l->wq.n_param && l->wq.ops->init) l->wq.ops->init(&l->wq);
            if (l->aq.n_param && l->aq.ops->init) l->aq.ops->init(&l->aq);
            l->wq_dirty = true;
        }
        if (l->type == L_BN) {
            size_t C = l->in_c;
            for (size_t s = 0; s < l->bn_sets; s++) {
                float *g = m->params + l->bn_off + s * 2 * C, *st = m->bufs + l->stat_off + s * 2 * C;
                for (size_t j = 0; j < C; j++) g[j] = 1, g[C + j] = 0, st[j] = 0, st[C + j] = 1;
            }
        }
    }
}

qsdr_nn_model *qsdr_nn_model_from_spec_text(const char *text, const char *origin, bool lines)
{
    if (!text) return qsdr_error_null(QSDR_EINVAL, "nn: no spec text");
    origin = origin ? origin : "spec";
    qsdr_nn_model *m = qsdr_calloc(1, sizeof *m);
    if (!m) return NULL;
    m->spec = qsdr_nn_spec_parse(text, origin, lines ? &m->spec_pos : NULL, &m->n_spec_pos);
    if (!m->spec) goto fail;
    m->spec_json = cJSON_PrintUnformatted(m->spec);
    if (!m->spec_json || build(m, origin)) goto fail;
    const cJSON *sd = cJSON_GetObjectItemCaseSensitive(m->spec, "seed");
    uint64_t seed = 1;
    if (sd) {
        if (!qsdr_nn_json_int(sd, 0, 9007199254740992.0)) {
            qsdr_error(QSDR_ERANGE, "%s: `seed` must be an integer in [0, 2^53], got %s", AT(sd), SHOW(sd));
            goto fail;
        }
        seed = (uint64_t)sd->valuedouble;
    }
    qsdr_nn_model_init(m, seed);
    m->engine = QSDR_NN_ENGINE_FLOAT;
    return m;
fail:
    qsdr_nn_model_free(m);
    return NULL;
}

qsdr_nn_model *qsdr_nn_model_from_spec(const char *text, const char *origin) { return qsdr_nn_model_from_spec_text(text, origin, true); }

void qsdr_nn_model_free(qsdr_nn_model *m)
{
    if (!m) return;
    qsdr_free(m->spec_pos);
    for (size_t i = 0; m->layers && i < m->n_layers; i++) {
        qsdr_nn_layer *l = &m->layers[i];
        qsdr_aligned_free(l->out);
        qsdr_aligned_free(l->dx);
        qsdr_aligned_free(l->cache);
        qsdr_aligned_free(l->cache2);
        qsdr_aligned_free(l->cache3);
        qsdr_aligned_free(l->xq);
        qsdr_aligned_free(l->wfake);
        qsdr_aligned_free(l->wscale);
        qsdr_aligned_free(l->ascale);
        qsdr_aligned_free(l->wgrad);
        qsdr_free(l->wcodes);
        qsdr_free(l->idx);
        qsdr_nn_qlayer_free(l);
    }
    qsdr_free(m->layers);
    qsdr_aligned_free(m->params);
    qsdr_aligned_free(m->grads);
    qsdr_aligned_free(m->bufs);
    qsdr_aligned_free(m->dinput);
    cJSON_Delete(m->spec);
    free(m->spec_json);
    qsdr_free(m);
}

size_t qsdr_nn_in_features(const qsdr_nn_model *m) { return m->in_c * m->in_h * m->in_w; }
size_t qsdr_nn_out_features(const qsdr_nn_model *m) { return m->layers[m->n_layers - 1].fout; }
size_t qsdr_nn_n_layers(const qsdr_nn_model *m) { return m->n_layers; }
const char *qsdr_nn_spec_json(const qsdr_nn_model *m) { return m->spec_json; }

static void mark_dirty(qsdr_nn_model *m)
{
    for (size_t i = 0; i < m->n_layers; i++) m->layers[i].wq_dirty = true, m->layers[i].ipack_bits = -1;
}

float *qsdr_nn_params(qsdr_nn_model *m, size_t *n)
{
    if (n) *n = m->n_params;
    mark_dirty(m); /* the caller may write them */
    return m->params;
}
float *qsdr_nn_grads(qsdr_nn_model *m, size_t *n)
{
    if (n) *n = m->n_params;
    return m->grads;
}
void qsdr_nn_zero_grad(qsdr_nn_model *m) { memset(m->grads, 0, m->n_params * sizeof(float)); }

void qsdr_nn_set_training(qsdr_nn_model *m, bool training)
{
    m->training = training;
    if (training) m->bn_trained |= 1u << m->bn_set;
    mark_dirty(m);
}
void qsdr_nn_set_seed(qsdr_nn_model *m, uint64_t seed, uint64_t step) { m->seed = seed, m->step = step; }
void qsdr_nn_set_engine(qsdr_nn_model *m, qsdr_nn_engine e) { m->engine = e; }
const float *qsdr_nn_input_grad(const qsdr_nn_model *m) { return m->dinput; }

static int select_bn_set(qsdr_nn_model *m, int wbits)
{
    for (size_t i = 0; i < m->n_bn_bits; i++)
        if (m->bn_bits[i] == wbits) return (int)i;
    return -1;
}

int qsdr_nn_set_bits(qsdr_nn_model *m, int layer, int wbits, int abits)
{
    if (wbits < 0 || wbits > 8 || abits < 0 || abits > 8)
        return qsdr_error(QSDR_ERANGE, "nn: bits must be 1..8 or 0 (float); got weights %d, activations %d", wbits, abits);
    if (layer != QSDR_NN_ALL_LAYERS && (layer < 0 || (size_t)layer >= m->n_layers || m->layers[layer].w_off == NONE))
        return qsdr_error(QSDR_ERANGE, "nn: layer %d has no weights (quantized layers are linear/conv, 0..%zu)", layer, m->n_layers - 1);
    if (layer != QSDR_NN_ALL_LAYERS && m->layers[layer].noquant)
        return qsdr_error(QSDR_EINVAL, "nn: layer %d is not quantizable (no `quant` in the spec, or quant: false)", layer);
    for (size_t i = 0; i < m->n_layers; i++) {
        qsdr_nn_layer *l = &m->layers[i];
        if (l->w_off == NONE) continue;
        if (layer == QSDR_NN_ALL_LAYERS ? l->fixed : (size_t)layer != i) continue;
        int ow = l->wq.bits, oa = l->aq.bits;
        l->wq.bits = wbits, l->aq.bits = abits;
        if (ow != wbits && l->wq.ops->rebits) l->wq.ops->rebits(&l->wq, ow);
        if (oa != abits && l->aq.ops->rebits) l->aq.ops->rebits(&l->aq, oa);
        l->wq_dirty = true, l->ipack_bits = -1;
    }
    if (layer == QSDR_NN_ALL_LAYERS && m->n_bn_bits) {
        int s = select_bn_set(m, wbits);
        if (s < 0) qsdr_warn("nn: no batch-norm set for %d bits (bn_sets); keeping set %d", wbits, m->bn_set);
        else if (s != m->bn_set) {
            /* a set never trained starts as a copy of the current one (else it would hold the
             * initial 0/1 statistics and ruin the switch) */
            if (!(m->bn_trained >> s & 1u) && (m->bn_trained >> m->bn_set & 1u)) {
                for (size_t i = 0; i < m->n_layers; i++) {
                    qsdr_nn_layer *l = &m->layers[i];
                    if (l->type != L_BN) continue;
                    size_t C2 = 2 * l->in_c;
                    memcpy(m->params + l->bn_off + (size_t)s * C2, m->params + l->bn_off + (size_t)m->bn_set * C2, C2 * sizeof(float));
                    memcpy(m->bufs + l->stat_off + (size_t)s * C2, m->bufs + l->stat_off + (size_t)m->bn_set * C2, C2 * sizeof(float));
                }
                m->bn_trained |= 1u << s;
            }
            m->bn_set = s;
        }
    }
    return QSDR_OK;
}

bool qsdr_nn_layer_bits(const qsdr_nn_model *m, size_t i, int *wbits, int *abits)
{
    if (i >= m->n_layers || m->layers[i].w_off == NONE) return false;
    if (wbits) *wbits = m->layers[i].wq.bits;
    if (abits) *abits = m->layers[i].aq.bits;
    return true;
}

const char *qsdr_nn_layer_kernel(const qsdr_nn_model *m, size_t i)
{
    return i < m->n_layers && m->layers[i].kname[0] ? m->layers[i].kname : "float";
}

/* ---- forward ----------------------------------------------------------------------------------- */
void qsdr_nn_layer_quantize_weights(qsdr_nn_model *m, qsdr_nn_layer *l)
{
    if (l->wq.bits == QSDR_NN_FLOAT || (!l->wq_dirty && !m->training)) return;
    if (!l->wfake) {
        l->wfake = qsdr_aligned_alloc(l->n_w * sizeof(float));
        l->wscale = qsdr_aligned_alloc(l->out_c * sizeof(float));
        l->wcodes = qsdr_malloc(l->n_w * sizeof(int16_t));
        if (!l->wfake || !l->wscale || !l->wcodes) return;
    }
    l->wq.ops->forward(&l->wq, l->wfake, l->wcodes, l->wscale, m->params + l->w_off, l->out_c, l->n_w / l->out_c);
    l->wq_dirty = false;
}

static const float *layer_weights(qsdr_nn_model *m, qsdr_nn_layer *l)
{
    if (l->wq.bits == QSDR_NN_FLOAT) return m->params + l->w_off;
    qsdr_nn_layer_quantize_weights(m, l);
    return l->wfake;
}

static int layer_forward(qsdr_nn_model *m, size_t i, const float *x, size_t B)
{
    qsdr_nn_layer *l = &m->layers[i];
    if (qsdr_nn_grow(&l->out, &l->cap_out, B * l->fout)) return QSDR_ENOMEM;
    float *y = l->out;
    switch (l->type) {
    case L_LINEAR:
    case L_CONV1D:
    case L_CONV2D: {
        if (!m->training && m->engine == QSDR_NN_ENGINE_INT && l->wq.bits != QSDR_NN_FLOAT && l->aq.bits != QSDR_NN_FLOAT)
            return qsdr_nn_qlayer_forward(m, l, y, x, B);
        l->kname[0] = 0;
        const float *xin = x;
        if (l->aq.bits != QSDR_NN_FLOAT) {
            if (qsdr_nn_grow(&l->xq, &l->cap_xq, B * l->fin) || qsdr_nn_grow(&l->ascale, &l->cap_ascale, 1)) return QSDR_ENOMEM;
            l->aq.ops->forward(&l->aq, l->xq, NULL, l->ascale, x, 1, B * l->fin);
            xin = l->xq;
        }
        const float *w = layer_weights(m, l);
        if (!w) return qsdr_error(QSDR_ENOMEM, "nn: cannot quantize the weights of layer %zu", i);
        const float *b = l->bias ? m->params + l->b_off : NULL;
        if (l->type == L_LINEAR) {
            qsdr_nn_linear_forward_f32(y, xin, w, b, B, l->fin, l->out_c);
        } else {
            size_t K = l->in_c * l->g.kh * l->g.kw, P = l->g.ho * l->g.wo;
            if (qsdr_nn_grow(&l->cache, &l->cap_cache, B * P * K)) return QSDR_ENOMEM;
            qsdr_nn_conv2d_forward_f32(y, l->cache, xin, w, b, &l->g, B);
        }
        return QSDR_OK;
    }
    case L_BN: {
        size_t C = l->in_c, S = l->in_h * l->in_w;
        if (qsdr_nn_grow(&l->cache, &l->cap_cache, B * l->fin) || qsdr_nn_grow(&l->cache2, &l->cap_cache2, C)) return QSDR_ENOMEM;
        size_t s = (size_t)m->bn_set < l->bn_sets ? (size_t)m->bn_set : 0;
        float *g = m->params + l->bn_off + s * 2 * C, *st = m->bufs + l->stat_off + s * 2 * C;
        if (m->training && B < 2 && S < 2) return qsdr_error(QSDR_ERANGE, "nn: batch norm in training needs a batch of at least 2");
        qsdr_nn_bn_forward_f32(y, l->cache, l->cache2, x, g, g + C, st, st + C, B, C, S, l->bn_eps, l->bn_momentum, m->training);
        return QSDR_OK;
    }
    case L_ACT: qsdr_nn_act_forward_f32(y, x, B * l->fin, l->act, l->a, l->b); return QSDR_OK;
    case L_MAXPOOL:
    case L_AVGPOOL:
    case L_GAP: {
        bool mx = l->type == L_MAXPOOL;
        if (mx) {
            size_t n = B * l->fout;
            if (!l->idx || l->cap_cache3 < n) {
                qsdr_free(l->idx);
                l->idx = qsdr_malloc(n * sizeof(size_t));
                if (!l->idx) return QSDR_ENOMEM;
                l->cap_cache3 = n;
            }
        }
        qsdr_nn_pool_forward_f32(y, l->idx, x, &l->g, B, mx);
        return QSDR_OK;
    }
    case L_FLATTEN: memcpy(y, x, B * l->fin * sizeof(float)); return QSDR_OK;
    case L_DROPOUT: {
        if (!m->training || l->a == 0) {
            memcpy(y, x, B * l->fin * sizeof(float));
            return QSDR_OK;
        }
        size_t n = B * l->fin;
        if (qsdr_nn_grow(&l->cache, &l->cap_cache, n)) return QSDR_ENOMEM;
        qsdr_randu_f32(mix(mix(m->seed, 0xd20f + i), m->step), 0, n, l->cache);
        float keep = 1.0f / (1.0f - l->a);
        for (size_t j = 0; j < n; j++) l->cache[j] = l->cache[j] >= l->a ? keep : 0.0f;
        volk_32f_x2_multiply_32f(y, x, l->cache, (unsigned)n);
        return QSDR_OK;
    }
    case L_POWERNORM:
        if (qsdr_nn_grow(&l->cache, &l->cap_cache, B)) return QSDR_ENOMEM;
        qsdr_nn_powernorm_forward_f32(y, l->cache, x, B, l->fin, l->a);
        return QSDR_OK;
    case L_SOFTMAX: qsdr_nn_softmax_forward_f32(y, x, B, l->fin); return QSDR_OK;
    }
    return QSDR_EINTERNAL;
}

const float *qsdr_nn_forward(qsdr_nn_model *m, const float *x, size_t B)
{
    if (!x || B == 0) return qsdr_error_null(QSDR_EINVAL, "nn: forward needs a non-empty batch");
    size_t F = qsdr_nn_in_features(m);
    size_t bad = qsdr_first_nonfinite_f32(x, B * F);
    if (bad < B * F) return qsdr_error_null(QSDR_ERANGE, "nn: input value %zu (sample %zu, feature %zu) is not finite", bad, bad / F, bad % F);
    m->input = x;
    m->batch = B;
    for (size_t i = 0; i < m->n_layers; i++) {
        const float *in = i ? m->layers[i - 1].out : x;
        if (layer_forward(m, i, in, B)) return NULL;
    }
    return m->layers[m->n_layers - 1].out;
}

/* ---- backward ---------------------------------------------------------------------------------- */
static int layer_backward(qsdr_nn_model *m, size_t i, float *dx, const float *dy, const float *x, size_t B)
{
    qsdr_nn_layer *l = &m->layers[i];
    float *G = m->grads;
    switch (l->type) {
    case L_LINEAR:
    case L_CONV1D:
    case L_CONV2D: {
        const float *xin = l->aq.bits != QSDR_NN_FLOAT ? l->xq : x;
        const float *w = l->wq.bits != QSDR_NN_FLOAT ? l->wfake : m->params + l->w_off;
        float *dw = G + l->w_off, *db = l->bias ? G + l->b_off : NULL;
        float *wtmp = NULL;
        if (l->wq.bits != QSDR_NN_FLOAT) { /* gradient w.r.t. the quantized weights, then STE */
            if (qsdr_nn_grow(&l->wgrad, &l->cap_wgrad, 2 * l->n_w)) return QSDR_ENOMEM;
            wtmp = l->wgrad;
            memset(wtmp, 0, l->n_w * sizeof(float));
            dw = wtmp;
        }
        if (l->type == L_LINEAR) {
            qsdr_nn_linear_backward_f32(dx, dw, db, dy, xin, w, B, l->fin, l->out_c);
        } else {
            size_t K = l->in_c * l->g.kh * l->g.kw, P = l->g.ho * l->g.wo;
            if (qsdr_nn_grow(&l->cache3, &l->cap_cache3, P * K)) return QSDR_ENOMEM;
            qsdr_nn_conv2d_backward_f32(dx, dw, db, l->cache3, dy, l->cache, w, &l->g, B);
        }
        if (wtmp) {
            float *d = wtmp + l->n_w;
            l->wq.ops->backward(&l->wq, d, wtmp, m->params + l->w_off, l->out_c, l->n_w / l->out_c);
            float *gw = G + l->w_off;
            volk_32f_x2_add_32f(gw, gw, d, (unsigned)l->n_w); /* element-wise work through VOLK */
        }
        if (l->aq.bits != QSDR_NN_FLOAT) l->aq.ops->backward(&l->aq, dx, dx, x, 1, B * l->fin);
        return QSDR_OK;
    }
    case L_BN: {
        size_t C = l->in_c, S = l->in_h * l->in_w;
        size_t s = (size_t)m->bn_set < l->bn_sets ? (size_t)m->bn_set : 0;
        float *g = m->params + l->bn_off + s * 2 * C, *dg = G + l->bn_off + s * 2 * C;
        qsdr_nn_bn_backward_f32(dx, dg, dg + C, dy, l->cache, l->cache2, g, B, C, S, m->training);
        return QSDR_OK;
    }
    case L_ACT: if (dx) qsdr_nn_act_backward_f32(dx, dy, x, l->out, B * l->fin, l->act, l->a, l->b); return QSDR_OK;
    case L_MAXPOOL:
    case L_AVGPOOL:
    case L_GAP: if (dx) qsdr_nn_pool_backward_f32(dx, dy, l->idx, &l->g, B, l->type == L_MAXPOOL); return QSDR_OK;
    case L_FLATTEN: if (dx) memcpy(dx, dy, B * l->fin * sizeof(float)); return QSDR_OK;
    case L_DROPOUT:
        if (!dx) return QSDR_OK;
        if (!m->training || l->a == 0) memcpy(dx, dy, B * l->fin * sizeof(float));
        else volk_32f_x2_multiply_32f(dx, dy, l->cache, (unsigned)(B * l->fin));
        return QSDR_OK;
    case L_POWERNORM: if (dx) qsdr_nn_powernorm_backward_f32(dx, dy, x, l->cache, B, l->fin, l->a); return QSDR_OK;
    case L_SOFTMAX: if (dx) qsdr_nn_softmax_backward_f32(dx, dy, l->out, B, l->fin); return QSDR_OK;
    }
    return QSDR_EINTERNAL;
}

int qsdr_nn_backward(qsdr_nn_model *m, const float *dout)
{
    if (!m->input || !m->batch) return qsdr_error(QSDR_EINVAL, "nn: backward needs a forward pass first");
    size_t B = m->batch;
    for (size_t i = m->n_layers; i-- > 0;) {
        qsdr_nn_layer *l = &m->layers[i];
        const float *dy = i + 1 < m->n_layers ? m->layers[i + 1].dx : dout;
        float **dxp = i ? &l->dx : &m->dinput;
        if (qsdr_nn_grow(dxp, i ? &l->cap_dx : &m->cap_dinput, B * l->fin)) return QSDR_ENOMEM;
        const float *x = i ? m->layers[i - 1].out : m->input;
        int rc = layer_backward(m, i, *dxp, dy, x, B);
        if (rc) return rc;
    }
    return QSDR_OK;
}

/* ---- calibration, FLOPs, printing ------------------------------------------------------------ */
/* all: every quantizer; else only those whose ranges were not learned or calibrated at their
   present bit-width (post-training quantization of a trained model) */
static int calibrate_pinned(qsdr_nn_model *m, const float *x, size_t n, bool all)
{
    bool tr = m->training;
    qsdr_nn_engine e = m->engine;
    m->training = false, m->engine = QSDR_NN_ENGINE_FLOAT;
    int saved_w[m->n_layers], saved_a[m->n_layers];
    for (size_t i = 0; i < m->n_layers; i++) { /* observe float activations */
        saved_w[i] = m->layers[i].wq.bits, saved_a[i] = m->layers[i].aq.bits;
        m->layers[i].aq.bits = QSDR_NN_FLOAT;
        m->layers[i].wq.bits = QSDR_NN_FLOAT;
    }
    int rc = qsdr_nn_forward(m, x, n) ? QSDR_OK : QSDR_EINVAL;
    for (size_t i = 0; rc == QSDR_OK && i < m->n_layers; i++) {
        qsdr_nn_layer *l = &m->layers[i];
        l->wq.bits = saved_w[i], l->aq.bits = saved_a[i];
        if (l->w_off == NONE) continue;
        const float *in = i ? m->layers[i - 1].out : x;
        if (l->aq.n_param && l->aq.ops->calibrate && l->aq.bits != QSDR_NN_FLOAT && (all || l->range_a != l->aq.bits)) {
            l->aq.ops->calibrate(&l->aq, in, 1, n * l->fin);
            l->range_a = l->aq.bits;
        }
        if (l->wq.n_param && l->wq.ops->calibrate && l->wq.bits != QSDR_NN_FLOAT && (all || l->range_w != l->wq.bits)) {
            l->wq.ops->calibrate(&l->wq, m->params + l->w_off, l->out_c, l->n_w / l->out_c);
            l->range_w = l->wq.bits;
        }
    }
    for (size_t i = 0; i < m->n_layers; i++) m->layers[i].wq.bits = saved_w[i], m->layers[i].aq.bits = saved_a[i];
    mark_dirty(m);
    m->training = tr, m->engine = e;
    return rc;
}

static double layer_flops(const qsdr_nn_layer *l)
{
    switch (l->type) {
    case L_LINEAR: return 2.0 * (double)l->n_w;
    case L_CONV1D:
    case L_CONV2D: return 2.0 * (double)l->n_w * (double)(l->g.ho * l->g.wo);
    default: return (double)l->fout;
    }
}

double qsdr_nn_flops(const qsdr_nn_model *m)
{
    double f = 0;
    for (size_t i = 0; i < m->n_layers; i++) f += layer_flops(&m->layers[i]);
    return f;
}

static const char *bits_str(int b, char *buf)
{
    if (b == QSDR_NN_FLOAT) return "float";
    snprintf(buf, 8, "%d", b);
    return buf;
}

void qsdr_nn_model_print(const qsdr_nn_model *m, FILE *f)
{
    fprintf(f, "%-3s %-11s %-16s %10s  %-14s %-14s %12s\n", "#", "layer", "output", "params", "weights", "activations", "FLOPs");
    size_t total_w = 0;
    for (size_t i = 0; i < m->n_layers; i++) {
        const qsdr_nn_layer *l = &m->layers[i];
        char shape[48], wq[32] = "", aq[32] = "", b1[8], b2[8];
        if (l->out_h == 1 && l->out_w == 1) snprintf(shape, sizeof shape, "(%zu)", l->out_c);
        else if (l->out_h == 1) snprintf(shape, sizeof shape, "(%zu, %zu)", l->out_c, l->out_w);
        else snprintf(shape, sizeof shape, "(%zu, %zu, %zu)", l->out_c, l->out_h, l->out_w);
        size_t np = 0;
        if (l->w_off != NONE) {
            np = l->n_w + (l->bias ? l->out_c : 0) + l->wq.n_param + l->aq.n_param;
            total_w += l->n_w;
            snprintf(wq, sizeof wq, "%s %s%s", l->wq.ops->name, bits_str(l->wq.bits, b1), l->fixed ? "*" : "");
            snprintf(aq, sizeof aq, "%s %s", l->aq.ops->name, bits_str(l->aq.bits, b2));
        }
        if (l->type == L_BN) np = l->bn_sets * 2 * l->in_c;
        fprintf(f, "%-3zu %-11s %-16s %10zu  %-14s %-14s %12.0f\n", i, l->type_name, shape, np, wq, aq, layer_flops(l));
    }
    fprintf(f, "input (%zu, %zu, %zu); %zu parameters (%zu weights); %.0f FLOPs per sample", m->in_c, m->in_h, m->in_w,
            m->n_params, total_w, qsdr_nn_flops(m));
    if (m->n_bn_bits) {
        fprintf(f, "; batch-norm sets for bits");
        for (size_t i = 0; i < m->n_bn_bits; i++) fprintf(f, " %s", m->bn_bits[i] ? (char[8]){(char)('0' + m->bn_bits[i]), 0} : "float");
    }
    fprintf(f, "\n(* = fixed: not changed by a model-wide bit-width switch)\n");
}

int qsdr_nn_calibrate(qsdr_nn_model *m, const float *x, size_t n)
{
    int pin = qsdr_nn_blas_pin();
    int rc = calibrate_pinned(m, x, n, true);
    qsdr_nn_blas_unpin(pin);
    return rc;
}

int qsdr_nn_calibrate_ptq(qsdr_nn_model *m, const float *x, size_t n)
{
    int pin = qsdr_nn_blas_pin();
    int rc = calibrate_pinned(m, x, n, false);
    qsdr_nn_blas_unpin(pin);
    return rc;
}

void qsdr_nn_mark_ranges(qsdr_nn_model *m)
{
    for (size_t i = 0; i < m->n_layers; i++) {
        qsdr_nn_layer *l = &m->layers[i];
        if (l->w_off != NONE) l->range_w = l->wq.bits, l->range_a = l->aq.bits;
    }
}
