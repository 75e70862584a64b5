/* SPDX-License-Identifier: MIT */
/* safetensors model files: 8-byte little-endian header length, a JSON header (dtype, shape,
 * data_offsets per tensor, __metadata__ of strings), then the raw little-endian data. Tensor
 * names follow PyTorch's nn.Sequential state_dict ("3.weight", "1.running_mean"), so a
 * Sequential with the same layers exports straight into qsdr. */
#include <cjson/cJSON.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "nn/nn_internal.h"
#include "nn/spec.h"

#define NONE ((size_t)-1)
#define MAX_HEADER (64u << 20)

typedef struct {
    char name[96];
    float *data;
    size_t shape[4], nd, n;
} tdesc;

/* Append one tensor (shape: nd dims of dims[]) when there is room; the count always grows. */
static void add(tdesc *t, size_t cap, size_t *k, float *data, size_t nd, const size_t *dims, const char *fmt, ...)
    __attribute__((format(printf, 7, 8)));
static void add(tdesc *t, size_t cap, size_t *k, float *data, size_t nd, const size_t *dims, const char *fmt, ...)
{
    if (*k < cap) {
        tdesc *d = &t[*k];
        d->data = data, d->nd = nd, d->n = 1;
        for (size_t i = 0; i < nd; i++) d->shape[i] = dims[i], d->n *= dims[i];
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(d->name, sizeof d->name, fmt, ap);
        va_end(ap);
    }
    (*k)++;
}

/* Every tensor the model stores, in file order (t may be NULL to count). Returns the count. */
static size_t describe(const qsdr_nn_model *m, tdesc *t, size_t cap)
{
    size_t k = 0;
    for (size_t i = 0; i < m->n_layers; i++) {
        const qsdr_nn_layer *l = &m->layers[i];
        if (l->w_off != NONE) {
            size_t w2[2] = {l->out_c, l->fin}, w3[3] = {l->out_c, l->in_c, l->g.kw}, w4[4] = {l->out_c, l->in_c, l->g.kh, l->g.kw};
            if (l->type == L_LINEAR) add(t, cap, &k, m->params + l->w_off, 2, w2, "%zu.weight", i);
            else if (l->type == L_CONV1D) add(t, cap, &k, m->params + l->w_off, 3, w3, "%zu.weight", i);
            else add(t, cap, &k, m->params + l->w_off, 4, w4, "%zu.weight", i);
            if (l->bias) add(t, cap, &k, m->params + l->b_off, 1, &l->out_c, "%zu.bias", i);
            if (l->wq.n_param)
                add(t, cap, &k, l->wq.param, 1, &l->wq.n_param, "%zu.wq.%s", i, l->wq.ops->param_name ? l->wq.ops->param_name : "param");
            if (l->aq.n_param)
                add(t, cap, &k, l->aq.param, 1, &l->aq.n_param, "%zu.aq.%s", i, l->aq.ops->param_name ? l->aq.ops->param_name : "param");
        }
        if (l->type == L_BN) {
            size_t C = l->in_c;
            for (size_t s = 0; s < l->bn_sets; s++) {
                char pre[12] = "";
                if (s) snprintf(pre, sizeof pre, "set%u.", (unsigned)(s & 0xff));
                float *g = m->params + l->bn_off + s * 2 * C, *st = m->bufs + l->stat_off + s * 2 * C;
                add(t, cap, &k, g, 1, &C, "%zu.%sweight", i, pre);
                add(t, cap, &k, g + C, 1, &C, "%zu.%sbias", i, pre);
                add(t, cap, &k, st, 1, &C, "%zu.%srunning_mean", i, pre);
                add(t, cap, &k, st + C, 1, &C, "%zu.%srunning_var", i, pre);
            }
        }
    }
    return k;
}

static char *bits_json(const qsdr_nn_model *m)
{
    cJSON *a = cJSON_CreateArray();
    for (size_t i = 0; a && i < m->n_layers; i++) {
        int w, b;
        if (!qsdr_nn_layer_bits(m, i, &w, &b)) continue;
        cJSON *e = cJSON_CreateObject();
        cJSON_AddNumberToObject(e, "layer", (double)i);
        cJSON_AddNumberToObject(e, "wbits", w);
        cJSON_AddNumberToObject(e, "abits", b);
        cJSON_AddItemToArray(a, e);
    }
    char *s = a ? cJSON_PrintUnformatted(a) : NULL;
    cJSON_Delete(a);
    return s;
}

int qsdr_nn_save(const qsdr_nn_model *m, const char *path, const char *extra)
{
    size_t nt = describe(m, NULL, 0);
    tdesc *t = qsdr_calloc(nt + 1, sizeof *t);
    if (!t) return QSDR_ENOMEM;
    describe(m, t, nt);
    cJSON *h = cJSON_CreateObject(), *md = cJSON_CreateObject();
    cJSON_AddStringToObject(md, "format", "pt");
    cJSON_AddStringToObject(md, "qsdr.spec", m->spec_json);
    char *bj = bits_json(m), num[32];
    if (bj) cJSON_AddStringToObject(md, "qsdr.bits", bj);
    free(bj);
    snprintf(num, sizeof num, "%d", m->bn_set);
    cJSON_AddStringToObject(md, "qsdr.bn_set", num);
    snprintf(num, sizeof num, "%u", (unsigned)m->bn_trained);
    cJSON_AddStringToObject(md, "qsdr.bn_trained", num);
    if (extra) {
        cJSON *x = cJSON_Parse(extra);
        for (cJSON *e = x ? x->child : NULL; e; e = e->next)
            if (cJSON_IsString(e)) {
                cJSON_DeleteItemFromObjectCaseSensitive(md, e->string);
                cJSON_AddStringToObject(md, e->string, e->valuestring);
            }
        cJSON_Delete(x);
    }
    cJSON_AddItemToObject(h, "__metadata__", md);
    size_t off = 0;
    for (size_t i = 0; i < nt; i++) {
        cJSON *e = cJSON_CreateObject(), *sh = cJSON_CreateArray(), *of = cJSON_CreateArray();
        cJSON_AddStringToObject(e, "dtype", "F32");
        for (size_t d = 0; d < t[i].nd; d++) cJSON_AddItemToArray(sh, cJSON_CreateNumber((double)t[i].shape[d]));
        cJSON_AddItemToObject(e, "shape", sh);
        cJSON_AddItemToArray(of, cJSON_CreateNumber((double)off));
        off += t[i].n * 4;
        cJSON_AddItemToArray(of, cJSON_CreateNumber((double)off));
        cJSON_AddItemToObject(e, "data_offsets", of);
        cJSON_AddItemToObject(h, t[i].name, e);
    }
    char *hs = cJSON_PrintUnformatted(h);
    cJSON_Delete(h);
    if (!hs) {
        qsdr_free(t);
        return QSDR_ENOMEM;
    }
    size_t hl = strlen(hs), pad = (8 - hl % 8) % 8;
    FILE *f = fopen(path, "wb");
    int rc = QSDR_OK;
    if (!f) rc = qsdr_error(QSDR_EIO, "%s: cannot write: %s", path, strerror(errno));
    else {
        uint8_t len[8];
        uint64_t L = hl + pad;
        for (int i = 0; i < 8; i++) len[i] = (uint8_t)(L >> (8 * i));
        fwrite(len, 1, 8, f);
        fwrite(hs, 1, hl, f);
        for (size_t i = 0; i < pad; i++) fputc(' ', f);
        for (size_t i = 0; i < nt; i++) fwrite(t[i].data, 4, t[i].n, f); /* x86/ARM: little-endian floats */
        if (ferror(f) | fclose(f)) rc = qsdr_error(QSDR_EIO, "%s: write failed", path);
    }
    free(hs);
    qsdr_free(t);
    return rc;
}

/* ---- loading ------------------------------------------------------------------------------- */
typedef struct {
    uint8_t *buf;
    size_t size, hlen;
    cJSON *h;
} stfile;

static void st_close(stfile *s)
{
    cJSON_Delete(s->h);
    qsdr_free(s->buf);
}

static int dtype_size(const char *d)
{
    static const struct {
        const char *n;
        int s;
    } t[] = {{"F32", 4}, {"F16", 2}, {"BF16", 2}, {"F64", 8}, {"I8", 1}, {"U8", 1}, {"I16", 2}, {"I32", 4}, {"I64", 8}, {"BOOL", 1}};
    for (size_t i = 0; i < sizeof t / sizeof *t; i++)
        if (!strcmp(d, t[i].n)) return t[i].s;
    return 0;
}

typedef struct {
    size_t a, b;
    const char *name;
} span;
static int span_cmp(const void *x, const void *y)
{
    const span *p = x, *q = y;
    return p->a < q->a ? -1 : p->a > q->a ? 1 : 0;
}

static int st_open(stfile *s, const char *path)
{
    memset(s, 0, sizeof *s);
    char *bytes;
    int rrc = qsdr_read_file(path, (size_t)1 << 32, "safetensors model", &bytes, &s->size);
    if (rrc) return rrc;
    s->buf = (uint8_t *)bytes;
    if (s->size < 8)
        return qsdr_error(QSDR_EFORMAT, "%s: %zu bytes: too short for a safetensors file (8-byte header length first)", path, s->size);
    uint64_t L = 0;
    for (int i = 0; i < 8; i++) L |= (uint64_t)s->buf[i] << (8 * i);
    if (L == 0 || L > MAX_HEADER || L > s->size - 8)
        return qsdr_error(QSDR_EFORMAT, "%s: header length %llu is impossible (file has %zu bytes after the length; limit %u)",
                          path, (unsigned long long)L, s->size - 8, MAX_HEADER);
    s->hlen = (size_t)L;
    s->h = cJSON_ParseWithLength((const char *)s->buf + 8, s->hlen);
    if (!s->h || !cJSON_IsObject(s->h))
        return qsdr_error(QSDR_EFORMAT, "%s: the header is not a JSON object", path);
    size_t data = s->size - 8 - s->hlen, n = 0;
    for (cJSON *e = s->h->child; e; e = e->next) n++;
    span *sp = qsdr_calloc(n + 1, sizeof *sp);
    if (!sp) return QSDR_ENOMEM;
    size_t ns = 0;
    int rc = QSDR_OK;
    for (cJSON *e = s->h->child; e && !rc; e = e->next) {
        if (!strcmp(e->string, "__metadata__")) {
            if (!cJSON_IsObject(e)) rc = qsdr_error(QSDR_EFORMAT, "%s: __metadata__ must be an object of strings", path);
            for (cJSON *v = e->child; v && !rc; v = v->next)
                if (!cJSON_IsString(v)) rc = qsdr_error(QSDR_EFORMAT, "%s: __metadata__.%s is not a string", path, v->string);
            continue;
        }
        const cJSON *dt = cJSON_GetObjectItemCaseSensitive(e, "dtype"), *sh = cJSON_GetObjectItemCaseSensitive(e, "shape"),
                    *of = cJSON_GetObjectItemCaseSensitive(e, "data_offsets");
        if (!cJSON_IsObject(e) || !cJSON_IsString(dt) || !cJSON_IsArray(sh) || !cJSON_IsArray(of) || cJSON_GetArraySize(of) != 2) {
            rc = qsdr_error(QSDR_EFORMAT, "%s: tensor '%s' needs dtype, shape and data_offsets [begin, end]", path, e->string);
            break;
        }
        int ds = dtype_size(dt->valuestring);
        if (!ds) {
            rc = qsdr_error(QSDR_EFORMAT, "%s: tensor '%s': unknown dtype '%s'", path, e->string, dt->valuestring);
            break;
        }
        double cnt = 1;
        for (cJSON *d = sh->child; d; d = d->next) {
            if (!cJSON_IsNumber(d) || d->valuedouble < 0 || d->valuedouble != floor(d->valuedouble) || d->valuedouble > 1e12) {
                rc = qsdr_error(QSDR_EFORMAT, "%s: tensor '%s': shape entries must be non-negative integers", path, e->string);
                break;
            }
            cnt *= d->valuedouble;
        }
        if (rc) break;
        const cJSON *a = cJSON_GetArrayItem(of, 0), *b = cJSON_GetArrayItem(of, 1);
        if (!cJSON_IsNumber(a) || !cJSON_IsNumber(b) || a->valuedouble < 0 || b->valuedouble < a->valuedouble ||
            a->valuedouble != floor(a->valuedouble) || b->valuedouble != floor(b->valuedouble) || b->valuedouble > (double)data) {
            rc = qsdr_error(QSDR_EFORMAT, "%s: tensor '%s': data_offsets [%.0f, %.0f] outside the %zu data bytes", path, e->string,
                            cJSON_IsNumber(a) ? a->valuedouble : -1, cJSON_IsNumber(b) ? b->valuedouble : -1, data);
            break;
        }
        if (b->valuedouble - a->valuedouble != cnt * ds) {
            rc = qsdr_error(QSDR_EFORMAT, "%s: tensor '%s': %.0f bytes for %.0f elements of %s", path, e->string,
                            b->valuedouble - a->valuedouble, cnt, dt->valuestring);
            break;
        }
        sp[ns++] = (span){(size_t)a->valuedouble, (size_t)b->valuedouble, e->string};
    }
    if (!rc) {
        qsort(sp, ns, sizeof *sp, span_cmp);
        for (size_t i = 1; i < ns && !rc; i++)
            if (sp[i].a < sp[i - 1].b && sp[i].b > sp[i].a)
                rc = qsdr_error(QSDR_EFORMAT, "%s: tensors '%s' and '%s' overlap", path, sp[i - 1].name, sp[i].name);
    }
    qsdr_free(sp);
    return rc;
}

static float half_to_float(uint16_t h)
{
    uint32_t s = (uint32_t)(h >> 15) << 31, e = (h >> 10) & 0x1f, f = h & 0x3ff;
    float v;
    if (e == 0) v = ldexpf((float)f, -24);
    else if (e == 31) v = f ? NAN : INFINITY;
    else v = ldexpf((float)(f | 0x400), (int)e - 25);
    return s ? -v : v;
}

static int convert(float *out, const uint8_t *p, const char *dt, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (!strcmp(dt, "F32")) {
            uint32_t u = (uint32_t)p[4 * i] | (uint32_t)p[4 * i + 1] << 8 | (uint32_t)p[4 * i + 2] << 16 | (uint32_t)p[4 * i + 3] << 24;
            memcpy(&out[i], &u, 4);
        } else if (!strcmp(dt, "F16")) {
            out[i] = half_to_float((uint16_t)(p[2 * i] | p[2 * i + 1] << 8));
        } else if (!strcmp(dt, "BF16")) {
            uint32_t u = (uint32_t)(p[2 * i] | p[2 * i + 1] << 8) << 16;
            memcpy(&out[i], &u, 4);
        } else if (!strcmp(dt, "F64")) {
            uint64_t u = 0;
            for (int k = 0; k < 8; k++) u |= (uint64_t)p[8 * i + k] << (8 * k);
            double d;
            memcpy(&d, &u, 8);
            out[i] = (float)d;
        } else if (!strcmp(dt, "I8")) out[i] = (float)(int8_t)p[i];
        else if (!strcmp(dt, "U8")) out[i] = (float)p[i];
        else return QSDR_ENOTSUP;
    }
    return QSDR_OK;
}

/* Copy the model's tensors out of an opened file (s.buf, s.h). */
static int load_from(qsdr_nn_model *m, const stfile *sp, const char *path)
{
    stfile s = *sp;
    int rc = QSDR_OK;
    size_t nt = describe(m, NULL, 0);
    tdesc *t = rc ? NULL : qsdr_calloc(nt + 1, sizeof *t);
    if (!rc && !t) rc = QSDR_ENOMEM;
    if (!rc) describe(m, t, nt);
    const uint8_t *data = rc ? NULL : s.buf + 8 + s.hlen;
    for (size_t i = 0; !rc && i < nt; i++) {
        const cJSON *e = cJSON_GetObjectItemCaseSensitive(s.h, t[i].name);
        if (!e) {
            rc = qsdr_error(QSDR_EFORMAT, "%s: tensor '%s' is missing (the model spec needs it)", path, t[i].name);
            break;
        }
        const cJSON *sh = cJSON_GetObjectItemCaseSensitive(e, "shape");
        const char *dt = cJSON_GetObjectItemCaseSensitive(e, "dtype")->valuestring;
        bool ok = (size_t)cJSON_GetArraySize(sh) == t[i].nd;
        for (size_t d = 0; ok && d < t[i].nd; d++) ok = (size_t)cJSON_GetArrayItem(sh, (int)d)->valuedouble == t[i].shape[d];
        if (!ok) {
            char want[64] = "", got[64] = "";
            for (size_t d = 0; d < t[i].nd; d++) snprintf(want + strlen(want), sizeof want - strlen(want), "%s%zu", d ? ", " : "", t[i].shape[d]);
            int d = 0;
            for (cJSON *x = sh->child; x; x = x->next, d++) snprintf(got + strlen(got), sizeof got - strlen(got), "%s%.0f", d ? ", " : "", x->valuedouble);
            rc = qsdr_error(QSDR_EFORMAT, "%s: tensor '%s' has shape [%s]; the model spec needs [%s]", path, t[i].name, got, want);
            break;
        }
        size_t off = (size_t)cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(e, "data_offsets"), 0)->valuedouble;
        float *tmp = qsdr_malloc((t[i].n + 1) * sizeof(float));
        if (!tmp) {
            rc = QSDR_ENOMEM;
            break;
        }
        if (convert(tmp, data + off, dt, t[i].n)) rc = qsdr_error(QSDR_EFORMAT, "%s: tensor '%s': dtype %s cannot hold model weights (F32, F16, BF16, F64, I8, U8)", path, t[i].name, dt);
        for (size_t j = 0; !rc && j < t[i].n; j++)
            if (!isfinite(tmp[j])) rc = qsdr_error(QSDR_EFORMAT, "%s: tensor '%s' element %zu is not finite", path, t[i].name, j);
        if (!rc) memcpy(t[i].data, tmp, t[i].n * sizeof(float));
        qsdr_free(tmp);
    }
    /* anything else in the file must be something we know to ignore */
    for (cJSON *e = rc ? NULL : s.h->child; e && !rc; e = e->next) {
        if (!strcmp(e->string, "__metadata__")) continue;
        size_t L = strlen(e->string);
        if (L > 20 && !strcmp(e->string + L - 20, ".num_batches_tracked")) continue;
        bool known = false;
        for (size_t i = 0; i < nt && !known; i++) known = !strcmp(t[i].name, e->string);
        if (!known) rc = qsdr_error(QSDR_EFORMAT, "%s: tensor '%s' is not part of the model spec", path, e->string);
    }
    qsdr_free(t);
    for (size_t i = 0; i < m->n_layers; i++) m->layers[i].wq_dirty = true, m->layers[i].ipack_bits = -1;
    return rc;
}

/* __metadata__[key] of an opened file (borrowed), or NULL */
static const char *meta_get(const stfile *s, const char *key)
{
    const cJSON *md = cJSON_GetObjectItemCaseSensitive(s->h, "__metadata__");
    const cJSON *v = md ? cJSON_GetObjectItemCaseSensitive(md, key) : NULL;
    return v && cJSON_IsString(v) ? v->valuestring : NULL;
}

/* The bit-widths the file's layers were stored at (qsdr.bits): the quantizer ranges in it
   belong to those (qsdr_nn_calibrate_ptq keeps them there). set: also switch the layers to them
   (loading a model file); else only record them (weights loaded into a model as it is). Layers
   the file does not list (a file from elsewhere) have no known range bit-width. */
static void apply_stored_bits(qsdr_nn_model *m, const stfile *s, bool set)
{
    for (size_t i = 0; i < m->n_layers; i++) m->layers[i].range_w = m->layers[i].range_a = -1;
    const char *bits = meta_get(s, "qsdr.bits");
    cJSON *b = bits ? cJSON_Parse(bits) : NULL;
    for (cJSON *e = b ? b->child : NULL; e; e = e->next) {
        const cJSON *l = cJSON_GetObjectItemCaseSensitive(e, "layer"), *w = cJSON_GetObjectItemCaseSensitive(e, "wbits"),
                    *a = cJSON_GetObjectItemCaseSensitive(e, "abits");
        if (qsdr_nn_json_int(l, 0, (double)m->n_layers - 1) && qsdr_nn_json_int(w, 0, 8) && qsdr_nn_json_int(a, 0, 8) &&
            m->layers[(size_t)l->valuedouble].w_off != NONE) {
            qsdr_nn_layer *ly = &m->layers[(size_t)l->valuedouble];
            if (set) ly->wq.bits = (int)w->valuedouble, ly->aq.bits = (int)a->valuedouble; /* no rebits: stored params match */
            ly->range_w = (int)w->valuedouble, ly->range_a = (int)a->valuedouble;
        }
    }
    cJSON_Delete(b);
}

int qsdr_nn_load_weights(qsdr_nn_model *m, const char *path)
{
    stfile s;
    int rc = st_open(&s, path);
    if (rc) return rc;
    /* all or nothing: a file that fails part-way leaves the model as it was */
    float *p0 = qsdr_malloc((m->n_params + 1) * sizeof(float)), *b0 = qsdr_malloc((m->n_bufs + 1) * sizeof(float));
    if (!p0 || !b0) rc = qsdr_error(QSDR_ENOMEM, "out of memory");
    if (!rc) {
        memcpy(p0, m->params, m->n_params * sizeof(float));
        memcpy(b0, m->bufs, m->n_bufs * sizeof(float));
        rc = load_from(m, &s, path);
        if (rc) {
            memcpy(m->params, p0, m->n_params * sizeof(float));
            memcpy(m->bufs, b0, m->n_bufs * sizeof(float));
        } else
            apply_stored_bits(m, &s, false);
    }
    qsdr_free(p0), qsdr_free(b0);
    st_close(&s);
    return rc;
}

char *qsdr_nn_file_metadata(const char *path, const char *key)
{
    stfile s;
    char *r = NULL;
    const char *v = st_open(&s, path) == QSDR_OK ? meta_get(&s, key) : NULL;
    if (v) {
        size_t n = strlen(v);
        r = qsdr_malloc(n + 1);
        if (r) memcpy(r, v, n + 1);
    }
    st_close(&s);
    return r;
}

static bool ends_with(const char *s, const char *suf)
{
    size_t a = strlen(s), b = strlen(suf);
    return a >= b && !strcmp(s + a - b, suf);
}

qsdr_nn_model *qsdr_nn_model_load_meta(const char *path, const char *key, char **value)
{
    if (value) *value = NULL;
    if (ends_with(path, ".safetensors")) { /* the file is read and checked once */
        stfile s;
        qsdr_nn_model *m = NULL;
        if (st_open(&s, path)) goto done;
        const char *spec = meta_get(&s, "qsdr.spec");
        if (!spec) {
            qsdr_error(QSDR_EFORMAT, "%s: no qsdr.spec in __metadata__: give the spec file too (see docs/models.md)", path);
            goto done;
        }
        if (!(m = qsdr_nn_model_from_spec_text(spec, path, false))) goto done;
        if (load_from(m, &s, path)) {
            qsdr_nn_model_free(m);
            m = NULL;
            goto done;
        }
        apply_stored_bits(m, &s, true);
        const char *bt = meta_get(&s, "qsdr.bn_trained"), *bs = meta_get(&s, "qsdr.bn_set");
        m->bn_trained = bt ? (uint32_t)strtoul(bt, NULL, 10) : 1u; /* files from elsewhere: set 0 */
        if (bs) {
            int v = atoi(bs);
            if (v >= 0 && (size_t)v < (m->n_bn_bits ? m->n_bn_bits : 1)) m->bn_set = v;
        }
        const char *kv = key && value ? meta_get(&s, key) : NULL;
        if (kv && !(*value = qsdr_malloc(strlen(kv) + 1))) {
            qsdr_nn_model_free(m);
            m = NULL;
        } else if (kv)
            memcpy(*value, kv, strlen(kv) + 1);
    done:
        st_close(&s);
        return m;
    }
    char *txt;
    if (qsdr_read_file(path, 16 << 20, "model spec (.yml, .json) or .safetensors model", &txt, NULL)) return NULL;
    qsdr_nn_model *m = qsdr_nn_model_from_spec(txt, path);
    qsdr_free(txt);
    return m;
}

qsdr_nn_model *qsdr_nn_model_load(const char *path) { return qsdr_nn_model_load_meta(path, NULL, NULL); }
