/* SPDX-License-Identifier: MIT */
/* The block registry: built-in table plus blocks registered by plugins (dlopen). */
#define _GNU_SOURCE
#include <dirent.h>
#include <dlfcn.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "runtime_internal.h"

static pthread_mutex_t g_mu = PTHREAD_MUTEX_INITIALIZER;
static const qsdr_block_desc **g_all;
static size_t g_n, g_cap;
static bool g_init, g_plugins_loaded;

static int cmp_desc(const void *a, const void *b)
{
    const qsdr_block_desc *x = *(const qsdr_block_desc *const *)a;
    const qsdr_block_desc *y = *(const qsdr_block_desc *const *)b;
    return strcmp(x->name, y->name);
}

static int add_locked(const qsdr_block_desc *d)
{
    int rc = qsdr_block_desc_check(d);
    if (rc) return rc;
    for (size_t i = 0; i < g_n; i++)
        if (!strcmp(g_all[i]->name, d->name))
            return qsdr_error(QSDR_EINVAL, "block type '%s' is already registered", d->name);
    if (g_n == g_cap) {
        size_t nc = g_cap ? 2 * g_cap : 64;
        const qsdr_block_desc **na = realloc(g_all, nc * sizeof *na);
        if (!na) return qsdr_error(QSDR_ENOMEM, "registry: out of memory");
        g_all = na;
        g_cap = nc;
    }
    g_all[g_n++] = d;
    qsort(g_all, g_n, sizeof *g_all, cmp_desc);
    return QSDR_OK;
}

static void init_locked(void)
{
    if (g_init) return;
    g_init = true;
    for (size_t i = 0; qsdr_builtin_blocks[i]; i++) add_locked(qsdr_builtin_blocks[i]);
}

int qsdr_registry_add(const qsdr_block_desc *d)
{
    pthread_mutex_lock(&g_mu);
    init_locked();
    int rc = add_locked(d);
    pthread_mutex_unlock(&g_mu);
    return rc;
}

const qsdr_block_desc *qsdr_registry_find(const char *name)
{
    pthread_mutex_lock(&g_mu);
    init_locked();
    const qsdr_block_desc *r = NULL;
    for (size_t i = 0; i < g_n; i++)
        if (!strcmp(g_all[i]->name, name)) {
            r = g_all[i];
            break;
        }
    pthread_mutex_unlock(&g_mu);
    return r;
}

const char *qsdr_registry_hint(const char *name)
{
    static _Thread_local char buf[260];
    qsdr_suggest sg;
    qsdr_suggest_init(&sg, name);
    pthread_mutex_lock(&g_mu);
    init_locked();
    for (size_t i = 0; i < g_n; i++) qsdr_suggest_add(&sg, g_all[i]->name, SIZE_MAX);
    pthread_mutex_unlock(&g_mu);
    const char *h = qsdr_suggest_hint(&sg);
    snprintf(buf, sizeof buf, "%s%s", h, *h ? " " : "");
    return buf;
}

size_t qsdr_registry_count(void)
{
    pthread_mutex_lock(&g_mu);
    init_locked();
    size_t n = g_n;
    pthread_mutex_unlock(&g_mu);
    return n;
}

const qsdr_block_desc *qsdr_registry_get(size_t i)
{
    pthread_mutex_lock(&g_mu);
    init_locked();
    const qsdr_block_desc *r = i < g_n ? g_all[i] : NULL;
    pthread_mutex_unlock(&g_mu);
    return r;
}

int qsdr_registry_load_plugin(const char *path)
{
    void *h = dlopen(path, RTLD_NOW | RTLD_LOCAL);
    if (!h) return qsdr_error(QSDR_EIO, "plugin '%s': cannot load: %s", path, dlerror());
    qsdr_plugin_init_fn init;
    *(void **)&init = dlsym(h, QSDR_PLUGIN_INIT_SYMBOL);
    if (!init) {
        dlclose(h);
        return qsdr_error(QSDR_EFORMAT, "plugin '%s': no '%s' function exported", path, QSDR_PLUGIN_INIT_SYMBOL);
    }
    int rc = init(QSDR_BLOCK_ABI);
    if (rc != QSDR_OK) {
        /* Blocks it may have registered point into the library: keep it loaded. */
        return qsdr_error(rc < 0 ? rc : QSDR_EINVAL, "plugin '%s': init failed (%s)", path, qsdr_strerror(rc));
    }
    qsdr_debug("loaded plugin %s", path);
    return QSDR_OK; /* the handle stays open for the life of the process */
}

int qsdr_registry_load_plugins(void)
{
    pthread_mutex_lock(&g_mu);
    bool done = g_plugins_loaded;
    g_plugins_loaded = true;
    pthread_mutex_unlock(&g_mu);
    if (done) return 0;
    const char *env = getenv("QSDR_PLUGIN_PATH");
    if (!env || !*env) return 0;
    char *paths = qsdr_strdup(env);
    if (!paths) return qsdr_error(QSDR_ENOMEM, "QSDR_PLUGIN_PATH: out of memory");
    int loaded = 0, rc = 0;
    char *save = NULL;
    for (char *dir = strtok_r(paths, ":", &save); dir; dir = strtok_r(NULL, ":", &save)) {
        DIR *dp = opendir(dir);
        if (!dp) {
            qsdr_warn("QSDR_PLUGIN_PATH: cannot open directory '%s'", dir);
            continue;
        }
        struct dirent **list = NULL;
        closedir(dp);
        int n = scandir(dir, &list, NULL, alphasort);
        for (int i = 0; i < n; i++) {
            const char *nm = list[i]->d_name;
            size_t l = strlen(nm);
            if (l > 3 && !strcmp(nm + l - 3, ".so")) {
                char full[4096];
                snprintf(full, sizeof full, "%s/%s", dir, nm);
                int r = qsdr_registry_load_plugin(full);
                if (r == QSDR_OK) loaded++;
                else rc = r;
            }
            free(list[i]);
        }
        free(list);
    }
    qsdr_free(paths);
    return rc ? rc : loaded;
}
