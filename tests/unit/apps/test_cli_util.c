/* SPDX-License-Identifier: MIT */
/* The command line's shared helpers (apps/cli_util.h) that compute what users read. */
#include "cli_util.h"
#include "qsdr_test.h"

QSDR_TEST(cli_eta_remaining, "unit", "progress ETA (qsdr run, qsdr ber, training bars): the time left at the rate so far, not the total; unknown before any progress")
{
    QSDR_CHECK_NEAR(cli_eta(2.0, 0.5), 2.0, 1e-12);  /* half done in 2 s: 2 s left */
    QSDR_CHECK_NEAR(cli_eta(3.0, 0.75), 1.0, 1e-12); /* 3/4 in 3 s: 1 s left */
    QSDR_CHECK_NEAR(cli_eta(1.0, 0.1), 9.0, 1e-12);
    QSDR_CHECK_NEAR(cli_eta(5.0, 1.0), 0.0, 0);      /* done */
    QSDR_CHECK(cli_eta(1.0, 0.0) < 0);               /* nothing done yet: unknown */
    QSDR_CHECK(cli_eta(1.0, -1.0) < 0);              /* an unbounded run (qsdr_flowgraph_progress -1) */
}
