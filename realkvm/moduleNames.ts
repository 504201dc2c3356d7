// The names the hcdbg_hc module's build takes for itself: its hook, realkvm/module/hc_hook.c,
// and the composite object hcdbg_hc.o. Kbuild builds every handler file in one flat folder
// beside them, so no host/hypercalls/<name>.c may use these names. No imports: the web
// extension's scaffold reads this too.

export const MODULE_OWN_NAMES: ReadonlySet<string> = new Set(['hc_hook', 'hcdbg_hc']);
