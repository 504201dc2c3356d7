/*
 * main.c - the sample guest's guest_main: the kernel is up, so drop to the user program.
 */
#include "kernel.h"

void user_main(void);

static char user_stack[16384] __attribute__((aligned(16)));

void guest_main(void)
{
	printk("guest: kernel up, entering the user program at CPL 3\n");
	enter_user(user_main, user_stack + sizeof(user_stack));
}
