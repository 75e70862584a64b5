/* A user's own program linking the installed qsdr: builds a flowgraph with the C API. */
#include <stdio.h>
#include <qsdr/qsdr.h>

int main(void)
{
    qsdr_flowgraph_t *fg = qsdr_flowgraph_create();
    if (qsdr_flowgraph_add(fg, "src", "random_source") || qsdr_flowgraph_add(fg, "map", "mapper") ||
        qsdr_flowgraph_add(fg, "awgn", "awgn") || qsdr_flowgraph_add(fg, "sl", "slicer") || qsdr_flowgraph_add(fg, "ber", "ber") ||
        qsdr_flowgraph_param(fg, "awgn", "ebn0_db", "6") || qsdr_flowgraph_param(fg, "ber", "max_bits", "100000") ||
        qsdr_flowgraph_connect(fg, "src", NULL, "map", NULL) || qsdr_flowgraph_connect(fg, "map", NULL, "awgn", NULL) ||
        qsdr_flowgraph_connect(fg, "awgn", NULL, "sl", NULL) || qsdr_flowgraph_connect(fg, "sl", NULL, "ber", "in") ||
        qsdr_flowgraph_connect(fg, "src", NULL, "ber", "ref"))
        return 1;
    int rc = qsdr_flowgraph_run(fg, QSDR_SCHED_SERIAL);
    qsdr_flowgraph_destroy(&fg);
    return rc ? 1 : 0;
}
