// The header block /sys/kernel/tracing/trace starts with (nop tracer, irq-info on), as
// print_trace_header() and print_func_help_header_irq() in kernel/trace/trace.c print it.
// "entries-in-buffer" is what the ring still holds, "entries-written" all that was ever
// written: they differ once the ring has overwritten its oldest lines, as in the kernel.

export function ftraceHeaderLines(entries: number, written: number, cpus = 1): string[] {
  return [
    '# tracer: nop',
    '#',
    `# entries-in-buffer/entries-written: ${entries}/${written}   #P:${cpus}`,
    '#',
    '#                                _-----=> irqs-off/BH-disabled',
    '#                               / _----=> need-resched',
    '#                              | / _---=> hardirq/softirq',
    '#                              || / _--=> preempt-depth',
    '#                              ||| / _-=> migrate-disable',
    '#                              |||| /     delay',
    '#           TASK-PID     CPU#  |||||  TIMESTAMP  FUNCTION',
    '#              | |         |   |||||     |         |',
  ];
}
