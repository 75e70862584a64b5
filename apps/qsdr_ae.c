/* SPDX-License-Identifier: MIT */
/* `qsdr train ae`: autoencoder training for the one-bit flagship chain. */
#include <stdio.h>

int qsdr_cmd_train_ae(int argc, char **argv)
{
    (void)argc, (void)argv;
    fprintf(stderr, "qsdr train ae: not implemented yet\n");
    return 2;
}
