/* SPDX-License-Identifier: MIT */
/* Clears the vector-type macros of one turbo_fast_core.h instantiation (no include guard: it is
 * included after each one). */
#undef VT
#undef V_LANES
#undef V_SET1
#undef V_LOAD
#undef V_STORE
#undef V_ADDS
#undef V_SUBS
#undef V_MAX
#undef V_MIN
#undef V_SRAI
#undef V_LTZ_MASK
#undef FAST_FN
