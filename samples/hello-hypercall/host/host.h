/*
 * host.h - what the host's start-up code (main.c, traps.c) shares.
 */
#ifndef HC_HOST_H
#define HC_HOST_H

#include <stdint.h>

void host_traps_init(void);
__attribute__((noreturn)) void power_off(uint32_t status);

#endif /* HC_HOST_H */
