/* SPDX-License-Identifier: MIT */
/* qsdr_suggest ("did you mean"): which near names it offers for a mistyped one, and that far
 * names, empty names and over-long names give no hint. */
#include <string.h>

#include "qsdr/qsdr.h"
#include "qsdr_test.h"

static const char *hint(const char *word, const char *list)
{
    static qsdr_suggest s;
    qsdr_suggest_init(&s, word);
    qsdr_suggest_add_list(&s, list);
    return qsdr_suggest_hint(&s);
}

QSDR_TEST(suggest_names, "unit", "qsdr_suggest: typos (swap, insertion, deletion, substitution, case) find the name; far ones find none")
{
    const char *params = "ebn0_db,esn0_db,bits_per_symbol,code_rate,sps,sample_power,seed";
    QSDR_CHECK(!strcmp(hint("ebno_db", params), "did you mean 'ebn0_db'?"));           /* substitution */
    QSDR_CHECK(!strcmp(hint("qpks", "bpsk|qpsk|qam16|qam64"), "did you mean 'qpsk'?")); /* neighbours swapped */
    QSDR_CHECK(!strcmp(hint("QPSK", "bpsk|qpsk|qam16|qam64"), "did you mean 'qpsk'?")); /* case */
    QSDR_CHECK(!strcmp(hint("random_sourc", "random_source,file_source,null_source"), "did you mean 'random_source'?"));
    QSDR_CHECK(!strcmp(hint("rn", "run,flowgraphs,blocks,block,ber"), "did you mean 'run'?")); /* insertion */
    QSDR_CHECK(!strcmp(hint("blocks", "run,blocks,block"), "did you mean 'blocks'?"));          /* the nearest only */
    QSDR_CHECK(!strcmp(hint("--swep", "--sweep,--seed,--set"), "did you mean '--sweep'?"));
    /* ties: all (up to three), in the order added */
    QSDR_CHECK(!strcmp(hint("qam32", "qam16,qam64"), "did you mean 'qam16' or 'qam64'?"));
    QSDR_CHECK(!strcmp(hint("ab", "xb,ay,zb,aw"), "did you mean 'xb', 'ay' or 'zb'?"));
    /* too far for a typo: nothing */
    QSDR_CHECK(!strcmp(hint("foo", params), ""));
    QSDR_CHECK(!strcmp(hint("ad", "src,map,awgn,demap,ber"), ""));
    QSDR_CHECK(!strcmp(hint("x", "y,z"), "")); /* one edit would replace the whole word */
    QSDR_CHECK(!strcmp(hint("", params), ""));
    QSDR_CHECK(!strcmp(hint("modulation", ""), ""));
    /* names of 64 bytes or more are skipped, not truncated into a false match */
    char longname[100];
    memset(longname, 'a', 99);
    longname[99] = 0;
    QSDR_CHECK(!strcmp(hint(longname, longname), ""));
    /* spaces around list items do not count */
    QSDR_CHECK(!strcmp(hint("stat", "get, set, list, stats , json"), "did you mean 'stats'?"));
    /* a NULL word or candidate is ignored */
    qsdr_suggest s;
    qsdr_suggest_init(&s, NULL);
    qsdr_suggest_add(&s, NULL, 3);
    qsdr_suggest_add(&s, "abc", SIZE_MAX);
    QSDR_CHECK(!strcmp(qsdr_suggest_hint(&s), ""));
}
