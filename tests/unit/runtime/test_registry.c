/* SPDX-License-Identifier: MIT */
/* Registry: every block source file is registered, names are unique, defaults parse and lie in
 * range; parameter validation; expressions. */
#include <dirent.h>
#include <string.h>

#include "qsdr/qsdr.h"
#include "qsdr_test.h"
#include "runtime/runtime_internal.h"

QSDR_TEST(registry_complete, "unit", "every block source file is in the registry; names unique; descriptors valid")
{
    char dir[1024];
    snprintf(dir, sizeof dir, "%s/blocks", qsdr_test_src_dir);
    DIR *d = opendir(dir);
    QSDR_REQUIRE(d);
    struct dirent *e;
    int files = 0;
    while ((e = readdir(d))) {
        size_t l = strlen(e->d_name);
        if (l < 3 || strcmp(e->d_name + l - 2, ".c") || !strcmp(e->d_name, "registry.c")) continue;
        char name[256];
        snprintf(name, sizeof name, "%.*s", (int)(l - 2), e->d_name);
        files++;
        QSDR_CHECK_MSG(qsdr_registry_find(name) != NULL, "blocks/%s declares no registered block named '%s'", e->d_name, name);
    }
    closedir(d);
    size_t n = qsdr_registry_count(), tests = 0;
    for (size_t i = 0; i < n; i++) tests += !strncmp(qsdr_registry_get(i)->name, "test_", 5); /* other tests' blocks (one process) */
    QSDR_CHECK_EQ_INT(n - tests, (size_t)files);
    for (size_t i = 0; i < n; i++) {
        const qsdr_block_desc *b = qsdr_registry_get(i);
        QSDR_CHECK_EQ_INT(qsdr_block_desc_check(b), QSDR_OK);
        QSDR_CHECK(b->summary && *b->summary);
        for (size_t k = 0; k < b->n_params; k++) QSDR_CHECK_MSG(b->params[k].help && *b->params[k].help, "%s.%s has no help", b->name, b->params[k].name);
        if (i) QSDR_CHECK(strcmp(qsdr_registry_get(i - 1)->name, b->name) < 0);
    }
    qsdr_log_set_level(QSDR_LOG_OFF);
    QSDR_CHECK(qsdr_registry_add(qsdr_registry_get(0)) == QSDR_EINVAL); /* duplicate */
    qsdr_log_set_level(QSDR_LOG_INFO);
}

static int dummy_create(qsdr_block_ctx *ctx, void **state)
{
    (void)ctx;
    *state = NULL;
    return QSDR_OK;
}
static int dummy_work(void *st, qsdr_work_io *io)
{
    (void)st, (void)io;
    return QSDR_OK;
}

QSDR_TEST(registry_bad_descriptors, "unit",
          "a plugin's bad block descriptor is refused with a message naming the field, never dereferenced")
{
    static const qsdr_param_desc ok_p[] = {{"gain", QSDR_PARAM_FLOAT, "1", 0, 10, "", "h", 0, NULL}};
    static const qsdr_port_desc ok_in[] = {{"in", QSDR_ITEM_CF32}}, ok_out[] = {{"out", QSDR_ITEM_ANY}};
    const qsdr_block_desc good = {.abi = QSDR_BLOCK_ABI, .name = "test_desc_ok", .summary = "s", .inputs = ok_in, .n_inputs = 1,
                                  .outputs = ok_out, .n_outputs = 1, .params = ok_p, .n_params = 1, .rate_in = 1, .rate_out = 1,
                                  .create = dummy_create, .work = dummy_work};
    QSDR_REQUIRE(qsdr_block_desc_check(&good) == QSDR_OK);
    static const qsdr_param_desc p_noname[] = {{NULL, QSDR_PARAM_FLOAT, "1", 0, 1, "", "h", 0, NULL}};
    static const qsdr_param_desc p_upper[] = {{"Gain", QSDR_PARAM_FLOAT, "1", 0, 1, "", "h", 0, NULL}};
    static const qsdr_param_desc p_type[] = {{"g", (qsdr_param_type)42, "1", 0, 1, "", "h", 0, NULL}};
    static const qsdr_param_desc p_nohelp[] = {{"g", QSDR_PARAM_FLOAT, "1", 0, 1, "", NULL, 0, NULL}};
    static const qsdr_param_desc p_enum[] = {{"m", QSDR_PARAM_ENUM, "a", 1, 0, "", "h", 0, NULL}};
    static const qsdr_param_desc p_dup[] = {{"g", QSDR_PARAM_FLOAT, "1", 0, 1, "", "h", 0, NULL}, {"g", QSDR_PARAM_FLOAT, "1", 0, 1, "", "h", 0, NULL}};
    static const qsdr_param_desc p_nodef[] = {{"g", QSDR_PARAM_FLOAT, NULL, 0, 1, "", "h", 0, NULL}};
    static const qsdr_param_desc p_range[] = {{"g", QSDR_PARAM_FLOAT, "5", 0, 1, "", "h", 0, NULL}};
    static const qsdr_port_desc in_noname[] = {{NULL, QSDR_ITEM_CF32}}, in_type[] = {{"in", (qsdr_item_type)7}},
                                in_dup[] = {{"in", QSDR_ITEM_F32}, {"in", QSDR_ITEM_F32}};
    struct {
        const char *want;
        qsdr_block_desc d;
    } bad[] = {
        {"ABI version 0", good},
        {"create and work callbacks are required", good},
        {"name must be lower_snake_case", good},
        {"summary (one line) is required", good},
        {"with a NULL table", good},
        {"with a NULL table", good},
        {"rate_kind 9 is not a qsdr_rate_kind", good},
        {"tag_policy 5 is not a qsdr_tag_policy", good},
        {"parameter 0: name '(null)' must be lower_snake_case", good},
        {"parameter 0: name 'Gain' must be lower_snake_case", good},
        {"parameter 'g': type 42 is not a qsdr_param_type", good},
        {"parameter 'g': help (one line) is required", good},
        {"parameter 'm': an enum needs choices", good},
        {"duplicate parameter 'g'", good},
        {"parameter 'g' has no default", good},
        {"default of 'g' invalid", good},
        {"input port 0: needs a lower_snake_case name", good},
        {"input port 0: needs a lower_snake_case name and an item type (qsdr_item_type 0..5 or QSDR_ITEM_ANY), got 'in' and 7", good},
        {"duplicate input port 'in'", good},
        {"output port 0: needs a lower_snake_case name", good},
        {"rate_in and rate_out must be >= 1", good},
    };
    size_t k = 0;
    bad[k++].d.abi = 0;
    bad[k++].d.work = NULL;
    bad[k++].d.name = "Test-Desc";
    bad[k++].d.summary = NULL;
    bad[k++].d.params = NULL;
    bad[k++].d.outputs = NULL;
    bad[k++].d.rate_kind = (qsdr_rate_kind)9;
    bad[k++].d.tag_policy = (qsdr_tag_policy)5;
    bad[k++].d.params = p_noname;
    bad[k++].d.params = p_upper;
    bad[k++].d.params = p_type;
    bad[k++].d.params = p_nohelp;
    bad[k++].d.params = p_enum;
    bad[k].d.params = p_dup, bad[k++].d.n_params = 2;
    bad[k++].d.params = p_nodef;
    bad[k++].d.params = p_range;
    bad[k++].d.inputs = in_noname;
    bad[k++].d.inputs = in_type;
    bad[k].d.inputs = in_dup, bad[k++].d.n_inputs = 2;
    bad[k++].d.outputs = in_noname;
    bad[k++].d.rate_in = 0;
    QSDR_REQUIRE(k == sizeof bad / sizeof *bad);
    qsdr_log_set_level(QSDR_LOG_OFF);
    for (size_t i = 0; i < k; i++) {
        QSDR_CHECK_MSG(qsdr_block_desc_check(&bad[i].d) == QSDR_EINVAL, "case %zu (%s) accepted", i, bad[i].want);
        QSDR_CHECK_MSG(strstr(qsdr_last_error(), bad[i].want) != NULL, "case %zu: '%s' lacks '%s'", i, qsdr_last_error(), bad[i].want);
        QSDR_CHECK(qsdr_registry_add(&bad[i].d) == QSDR_EINVAL);
    }
    qsdr_log_set_level(QSDR_LOG_INFO);
    QSDR_CHECK(qsdr_registry_find("test_desc_ok") == NULL);
}

QSDR_TEST(param_validation, "unit", "parameter values are checked for type and range with a message naming the range")
{
    qsdr_param_desc f = {"x", QSDR_PARAM_FLOAT, "1", -2, 3, "dB", "h", 0, NULL};
    qsdr_param_desc u = {"n", QSDR_PARAM_UINT, "1", 1, 8, "bits", "h", 0, NULL};
    qsdr_param_desc en = {"m", QSDR_PARAM_ENUM, "a", 1, 0, "", "h", 0, "a|bb|c"};
    qsdr_param_desc li = {"l", QSDR_PARAM_LIST, "1", 1, 0, "", "h", 0, NULL};
    char err[256];
    QSDR_CHECK(qsdr_param_check(&f, "2.5", err, sizeof err) == QSDR_OK);
    QSDR_CHECK(qsdr_param_check(&f, "3.5", err, sizeof err) == QSDR_ERANGE);
    QSDR_CHECK(strstr(err, "[-2, 3] dB") != NULL);
    QSDR_CHECK(qsdr_param_check(&f, "nan", err, sizeof err) == QSDR_ERANGE);
    QSDR_CHECK(qsdr_param_check(&f, "abc", err, sizeof err) == QSDR_EINVAL);
    QSDR_CHECK(qsdr_param_check(&u, "8", err, sizeof err) == QSDR_OK);
    QSDR_CHECK(qsdr_param_check(&u, "4.0", err, sizeof err) == QSDR_OK);
    QSDR_CHECK(qsdr_param_check(&u, "4.5", err, sizeof err) == QSDR_EINVAL);
    QSDR_CHECK(qsdr_param_check(&u, "9", err, sizeof err) == QSDR_ERANGE);
    QSDR_CHECK(qsdr_param_check(&u, "-1", err, sizeof err) == QSDR_ERANGE);
    QSDR_CHECK(qsdr_param_check(&u, "0", err, sizeof err) == QSDR_ERANGE && strstr(err, "value 0 out of range, allowed [1, 8] bits"));
    QSDR_CHECK(qsdr_param_check(&u, "1", err, sizeof err) == QSDR_OK);
    /* a seed has no range, but it is not negative (strtoull would wrap "-1" to 2^64 - 1) */
    qsdr_param_desc sd = {"seed", QSDR_PARAM_SEED, "1", 1, 0, "", "h", 0, NULL};
    QSDR_CHECK(qsdr_param_check(&sd, "18446744073709551615", err, sizeof err) == QSDR_OK);
    QSDR_CHECK(qsdr_param_check(&sd, "-1", err, sizeof err) == QSDR_ERANGE && strstr(err, "non-negative"));
    QSDR_CHECK(qsdr_param_check(&sd, " -5", err, sizeof err) == QSDR_ERANGE);
    /* decimal, or hexadecimal after 0x; a leading zero is no octal prefix ("010" is ten, not 8) */
    qsdr_param_desc i = {"i", QSDR_PARAM_INT, "0", -9, 9, "", "h", 0, NULL};
    QSDR_CHECK(qsdr_param_check(&u, "08", err, sizeof err) == QSDR_OK);
    QSDR_CHECK(qsdr_param_check(&u, "010", err, sizeof err) == QSDR_ERANGE && strstr(err, "value 10 out of range"));
    QSDR_CHECK(qsdr_param_check(&u, "0x8", err, sizeof err) == QSDR_OK);
    QSDR_CHECK(qsdr_param_check(&u, "0x9", err, sizeof err) == QSDR_ERANGE);
    QSDR_CHECK(qsdr_param_check(&i, "-010", err, sizeof err) == QSDR_ERANGE && strstr(err, "value -10 out of range"));
    QSDR_CHECK(qsdr_param_check(&i, "-09", err, sizeof err) == QSDR_OK);
    QSDR_CHECK(qsdr_param_check(&i, "-4.0", err, sizeof err) == QSDR_OK);
    QSDR_CHECK(qsdr_param_check(&i, "2.5", err, sizeof err) == QSDR_EINVAL && strstr(err, "expected an integer"));
    QSDR_CHECK(qsdr_param_check(&i, "-10", err, sizeof err) == QSDR_ERANGE);
    /* a number too large for the type is out of range, not "not an integer" */
    QSDR_CHECK(qsdr_param_check(&u, "1e30", err, sizeof err) == QSDR_ERANGE && strstr(err, "value 1e30 out of range, allowed [1, 8] bits"));
    QSDR_CHECK(qsdr_param_check(&u, "18446744073709551616", err, sizeof err) == QSDR_ERANGE);
    QSDR_CHECK(qsdr_param_check(&i, "-1e20", err, sizeof err) == QSDR_ERANGE && strstr(err, "out of range"));
    QSDR_CHECK(qsdr_param_check(&u, "1e30.5", err, sizeof err) == QSDR_EINVAL);
    QSDR_CHECK(qsdr_param_check(&en, "bb", err, sizeof err) == QSDR_OK);
    QSDR_CHECK(qsdr_param_check(&en, "b", err, sizeof err) == QSDR_EINVAL);
    QSDR_CHECK(qsdr_param_check(&li, "1, 2.5,-3", err, sizeof err) == QSDR_OK);
    QSDR_CHECK(qsdr_param_check(&li, "1,,2", err, sizeof err) == QSDR_EINVAL);
    QSDR_CHECK(qsdr_param_check(&li, "1,x", err, sizeof err) == QSDR_EINVAL);
    QSDR_CHECK(qsdr_param_check(&li, "1, inf", err, sizeof err) == QSDR_EINVAL && strstr(err, "finite"));
    QSDR_CHECK(qsdr_param_check(&li, "nan, 2", err, sizeof err) == QSDR_EINVAL);
}

static int lookup(void *u, const char *name, double *v)
{
    if (!strcmp(name, "sps")) {
        *v = 4;
        return 0;
    }
    return -1;
}

QSDR_TEST(expr_eval, "unit", "flowgraph arithmetic: precedence, parentheses, functions, errors")
{
    double v;
    char err[256];
    QSDR_CHECK(qsdr_expr_eval("2 + 3 * sps", lookup, NULL, &v, err, sizeof err) == QSDR_OK && v == 14);
    QSDR_CHECK(qsdr_expr_eval("(2 + 3) * -sps / 2", lookup, NULL, &v, err, sizeof err) == QSDR_OK && v == -10);
    QSDR_CHECK(qsdr_expr_eval("10 % 4 + pow(2, 3) + log2(8)", lookup, NULL, &v, err, sizeof err) == QSDR_OK && v == 13);
    QSDR_CHECK(qsdr_expr_eval("1.5e1", lookup, NULL, &v, err, sizeof err) == QSDR_OK && v == 15);
    /* - and / associate to the left; % is C's fmod (the sign of the dividend, not rounding) */
    QSDR_CHECK(qsdr_expr_eval("10 - 4 - 3", lookup, NULL, &v, err, sizeof err) == QSDR_OK && v == 3);
    QSDR_CHECK(qsdr_expr_eval("sps - 10", lookup, NULL, &v, err, sizeof err) == QSDR_OK && v == -6);
    QSDR_CHECK(qsdr_expr_eval("64 / 4 / 2", lookup, NULL, &v, err, sizeof err) == QSDR_OK && v == 8);
    QSDR_CHECK(qsdr_expr_eval("7 % 4", lookup, NULL, &v, err, sizeof err) == QSDR_OK && v == 3);
    QSDR_CHECK(qsdr_expr_eval("-7 % 4", lookup, NULL, &v, err, sizeof err) == QSDR_OK && v == -3);
    QSDR_CHECK(qsdr_expr_eval("7.5 % 2", lookup, NULL, &v, err, sizeof err) == QSDR_OK && v == 1.5);
    QSDR_CHECK(qsdr_expr_eval("nope + 1", lookup, NULL, &v, err, sizeof err) == QSDR_EINVAL);
    QSDR_CHECK(strstr(err, "unknown variable 'nope'") != NULL);
    QSDR_CHECK(qsdr_expr_eval("1 / 0", lookup, NULL, &v, err, sizeof err) == QSDR_EINVAL);
    QSDR_CHECK(qsdr_expr_eval("(1 + 2", lookup, NULL, &v, err, sizeof err) == QSDR_EINVAL);
    QSDR_CHECK(qsdr_expr_eval("2 2", lookup, NULL, &v, err, sizeof err) == QSDR_EINVAL);
    /* every documented function, unary plus */
    QSDR_CHECK(qsdr_expr_eval("sqrt(16) + log10(1000) + exp(0) + floor(2.7) + ceil(-2.5)", lookup, NULL, &v, err, sizeof err) == QSDR_OK &&
               v == 4 + 3 + 1 + 2 - 2);
    QSDR_CHECK(qsdr_expr_eval("min(sps, 3) * 10 + max(-1, +2)", lookup, NULL, &v, err, sizeof err) == QSDR_OK && v == 32);
    QSDR_CHECK(qsdr_expr_eval("ceil(6144 / 40) * 40", lookup, NULL, &v, err, sizeof err) == QSDR_OK && v == 6160);
    /* no NaN or infinity gets through: a clear error instead */
    QSDR_CHECK(qsdr_expr_eval("sqrt(-1)", lookup, NULL, &v, err, sizeof err) == QSDR_EINVAL && strstr(err, "not finite"));
    QSDR_CHECK(qsdr_expr_eval("log2(0)", lookup, NULL, &v, err, sizeof err) == QSDR_EINVAL && strstr(err, "not finite"));
    QSDR_CHECK(qsdr_expr_eval("exp(1000)", lookup, NULL, &v, err, sizeof err) == QSDR_EINVAL && strstr(err, "not finite"));
    QSDR_CHECK(qsdr_expr_eval("floor(1, 2)", lookup, NULL, &v, err, sizeof err) == QSDR_EINVAL &&
               strstr(err, "unknown function 'floor' with 2 argument(s)"));
    QSDR_CHECK(qsdr_expr_eval("max(1)", lookup, NULL, &v, err, sizeof err) == QSDR_EINVAL);
    QSDR_CHECK(qsdr_expr_eval("pow(2, 3", lookup, NULL, &v, err, sizeof err) == QSDR_EINVAL && strstr(err, "expected ')'"));
    QSDR_CHECK(qsdr_expr_eval("2 * $", lookup, NULL, &v, err, sizeof err) == QSDR_EINVAL && strstr(err, "unexpected character"));
    QSDR_CHECK(qsdr_expr_eval("2 *", lookup, NULL, &v, err, sizeof err) == QSDR_EINVAL && strstr(err, "unexpected end"));
}

QSDR_TEST(yaml_merge_keys, "unit", "YAML aliases and merge keys (<<: *a, <<: [*a, *b]) in block params; the block's own keys win")
{
    const char *y = "blocks:\n"
                    "  - {id: src, type: null_source}\n"
                    "  - {id: m1, type: mapper, params: &q16 {modulation: qam16}}\n"
                    "  - {id: d1, type: demapper, params: {<<: *q16, method: maxlog}}\n"
                    "  - {id: d2, type: demapper, params: {<<: *q16, modulation: qpsk}}\n"
                    "  - {id: d3, type: demapper, params: {<<: [&ml {method: maxlog, modulation: bpsk}, *q16]}}\n"
                    "  - {id: d4, type: demapper, params: *q16}\n"
                    /* a merged value this block could not take, overridden by its own key: never applied */
                    "  - {id: d5, type: demapper, params: {<<: &odd {modulation: qpsk, method: nosuch}, method: maxlog}}\n"
                    "  - {id: snk, type: null_sink}\n"
                    "connections: [src -> m1, m1 -> d1, m1 -> d2, m1 -> d3, m1 -> d4, m1 -> d5, d1 -> snk]\n";
    qsdr_flowgraph_t *fg = NULL;
    QSDR_CHECK_MSG(qsdr_flowgraph_load_string(y, "m.yml", NULL, &fg) == QSDR_OK, "%s", qsdr_last_error());
    QSDR_REQUIRE(fg);
    const char *want[][3] = {{"d1", "qam16", "maxlog"}, {"d2", "qpsk", "exact"}, {"d3", "bpsk", "maxlog"}, {"d4", "qam16", "exact"},
                             {"d5", "qpsk", "maxlog"}};
    for (int i = 0; i < 5; i++) {
        char path[64], buf[64];
        snprintf(path, sizeof path, "%s.modulation", want[i][0]);
        QSDR_CHECK_MSG(qsdr_flowgraph_get(fg, path, buf, sizeof buf) == QSDR_OK && !strcmp(buf, want[i][1]), "%s = %s", path, buf);
        snprintf(path, sizeof path, "%s.method", want[i][0]);
        QSDR_CHECK_MSG(qsdr_flowgraph_get(fg, path, buf, sizeof buf) == QSDR_OK && !strcmp(buf, want[i][2]), "%s = %s", path, buf);
    }
    qsdr_flowgraph_destroy(&fg);
    /* a merge of something that is not a mapping names the line and says what '<<' takes */
    const char *bad = "blocks:\n  - {id: src, type: null_source}\n  - {id: m, type: mapper, params: {<<: 3}}\n"
                      "connections: [src -> m]\n";
    qsdr_log_set_level(QSDR_LOG_OFF);
    QSDR_CHECK(qsdr_flowgraph_load_string(bad, "b.yml", NULL, &fg) == QSDR_EINVAL);
    QSDR_CHECK_MSG(strstr(qsdr_last_error(), "b.yml:3") && strstr(qsdr_last_error(), "'<<' merges a mapping"), "%s", qsdr_last_error());
    qsdr_log_set_level(QSDR_LOG_INFO);
}

QSDR_TEST(yaml_variables_overrides, "unit", "variables, ${} arithmetic, --set of variables and block parameters")
{
    const char *y = "variables:\n  sps: 4\n  twice: ${sps * 2}\n  name: probe\n"
                    "blocks:\n"
                    "  - {id: src, type: null_source}\n"
                    "  - {id: head, type: head, params: {n: '${twice + 1}'}}\n"
                    "  - {id: '${ name }', type: probe, params: {print: false}}\n" /* spaces inside ${ } */
                    "connections: [src -> head, head -> probe]\n";
    qsdr_flowgraph_t *fg = NULL;
    QSDR_REQUIRE(qsdr_flowgraph_load_string(y, "v.yml", NULL, &fg) == QSDR_OK);
    char buf[64];
    QSDR_CHECK(qsdr_flowgraph_get(fg, "head.n", buf, sizeof buf) == QSDR_OK && !strcmp(buf, "9"));
    qsdr_flowgraph_destroy(&fg);
    const char *ov[] = {"sps=10", NULL};
    QSDR_REQUIRE(qsdr_flowgraph_load_string(y, "v.yml", ov, &fg) == QSDR_OK);
    QSDR_CHECK(qsdr_flowgraph_get(fg, "head.n", buf, sizeof buf) == QSDR_OK && !strcmp(buf, "21"));
    qsdr_flowgraph_destroy(&fg);
    const char *ov2[] = {"head.n=5", NULL};
    QSDR_REQUIRE(qsdr_flowgraph_load_string(y, "v.yml", ov2, &fg) == QSDR_OK);
    QSDR_CHECK(qsdr_flowgraph_get(fg, "head.n", buf, sizeof buf) == QSDR_OK && !strcmp(buf, "5"));
    QSDR_CHECK(qsdr_flowgraph_run(fg, QSDR_SCHED_SERIAL) == QSDR_OK);
    qsdr_stats st;
    qsdr_flowgraph_stats(fg, "probe", &st);
    QSDR_CHECK_EQ_INT(st.v[0].value, 5);
    qsdr_flowgraph_destroy(&fg);
    qsdr_log_set_level(QSDR_LOG_OFF);
    const char *ov3[] = {"nosuch=1", NULL};
    QSDR_CHECK(qsdr_flowgraph_load_string(y, "v.yml", ov3, &fg) == QSDR_EINVAL);
    const char *ov4[] = {"head.nosuch=1", NULL};
    QSDR_CHECK(qsdr_flowgraph_load_string(y, "v.yml", ov4, &fg) == QSDR_EINVAL);
    QSDR_CHECK(strstr(qsdr_last_error(), "unknown parameter 'nosuch'") != NULL);
    qsdr_log_set_level(QSDR_LOG_INFO);
}

QSDR_TEST(params_exponent_notation, "unit",
          "integer parameters written as 1e3 or 1.0e1 mean 1000 and 10 to the block (not 1, where strtoll stops)")
{
    const char *fmt = "blocks:\n"
                      "  - {id: src, type: null_source}\n"
                      "  - {id: head, type: head, params: {n: %s}}\n"
                      "  - {id: rx, type: rrc_decim, params: {sps: 4, delay: %s}}\n"
                      "  - {id: snk, type: vector_sink}\n"
                      "connections: [src -> head, head -> rx, rx -> snk]\n";
    size_t n[2];
    const char *nv[2] = {"4000", "4e3"}, *dv[2] = {"10", "1.0e1"};
    for (int k = 0; k < 2; k++) {
        char y[600];
        snprintf(y, sizeof y, fmt, nv[k], dv[k]);
        qsdr_flowgraph_t *fg = NULL;
        QSDR_REQUIRE(qsdr_flowgraph_load_string(y, "e.yml", NULL, &fg) == QSDR_OK);
        QSDR_CHECK_EQ_INT(qsdr_flowgraph_run(fg, QSDR_SCHED_SERIAL), QSDR_OK);
        QSDR_CHECK_EQ_INT(qsdr_test_stat(fg, "head", "items_in"), 4000);
        n[k] = 0;
        qsdr_vector_sink_data(fg, "snk", NULL, &n[k], NULL, NULL);
        qsdr_flowgraph_destroy(&fg);
    }
    QSDR_CHECK_MSG(n[0] == n[1] && n[0] > 0, "delay 10 gives %zu symbols, delay 1.0e1 %zu", n[0], n[1]);
}
