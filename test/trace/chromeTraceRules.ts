// The rules of the Chrome Trace Event Format (the "Trace Event Format" document of the
// Catapult project, which chrome://tracing and Perfetto's JSON importer follow) that a file
// must keep for those tools to draw it, checked on parsed JSON: the JSON Object Format with
// a traceEvents array; known `ph` values; name/pid/tid on every event and a numeric `ts` on
// every non-metadata event; `dur` >= 0 on X; every B closed by an E of the same name on the
// same track; timestamps non-decreasing per track; slices on one track nested, never
// overlapping partially (Perfetto drops such slices). Returns the broken rules, [] if none.

const PHASES = new Set(['B', 'E', 'X', 'i', 'I', 'C', 'b', 'n', 'e', 's', 't', 'f', 'P', 'O', 'N', 'D', 'M', 'R', 'c']);
const INSTANT_SCOPES = new Set(['g', 'p', 't']);

interface Event { name?: unknown; ph?: unknown; pid?: unknown; tid?: unknown; ts?: unknown; dur?: unknown; s?: unknown }

export function chromeTraceProblems(text: string): string[] {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    return [`not JSON: ${(e as Error).message}`];
  }
  const events = Array.isArray(doc) ? doc : (doc as { traceEvents?: unknown })?.traceEvents;
  if (!Array.isArray(events)) return ['no traceEvents array'];
  const problems: string[] = [];
  const lastTs = new Map<string, number>();
  const open = new Map<string, { name: string; end: number }[]>(); // per track: B names (end Infinity) and X ends
  events.forEach((e: Event, i) => {
    const at = `event ${i} (${JSON.stringify(e).slice(0, 80)})`;
    if (typeof e !== 'object' || e === null) return void problems.push(`${at}: not an object`);
    if (typeof e.ph !== 'string' || !PHASES.has(e.ph)) return void problems.push(`${at}: ph ${JSON.stringify(e.ph)} is not a phase of the format`);
    if (typeof e.name !== 'string' && e.ph !== 'E') problems.push(`${at}: no name`);
    if (typeof e.pid !== 'number' || typeof e.tid !== 'number') problems.push(`${at}: pid and tid must be numbers`);
    if (e.ph === 'M') return;
    if (typeof e.ts !== 'number' || !Number.isFinite(e.ts)) return void problems.push(`${at}: ts must be a number`);
    const track = `${e.pid}/${e.tid}`;
    if (e.ts < (lastTs.get(track) ?? -Infinity)) problems.push(`${at}: ts goes back in time on track ${track}`);
    lastTs.set(track, e.ts);
    const stack = open.get(track) ?? [];
    open.set(track, stack);
    // X slices that ended by now are closed (a B stays open until its E).
    while (stack.length && stack[stack.length - 1].end <= e.ts) stack.pop();
    if (e.ph === 'i' || e.ph === 'I') {
      if (e.s !== undefined && !INSTANT_SCOPES.has(e.s as string)) problems.push(`${at}: instant scope ${JSON.stringify(e.s)} is not g, p or t`);
    } else if (e.ph === 'X') {
      if (typeof e.dur !== 'number' || !(e.dur >= 0)) return void problems.push(`${at}: X needs a dur >= 0`);
      const end = e.ts + e.dur;
      const parent = stack[stack.length - 1];
      if (parent && end > parent.end) problems.push(`${at}: overlaps the slice "${parent.name}" on track ${track} without nesting in it`);
      stack.push({ name: e.name as string, end });
    } else if (e.ph === 'B') {
      stack.push({ name: e.name as string, end: Infinity });
    } else if (e.ph === 'E') {
      const top = stack.pop();
      if (!top || top.end !== Infinity) problems.push(`${at}: E with no open B on track ${track}`);
      else if (e.name !== undefined && e.name !== top.name) problems.push(`${at}: E "${e.name}" closes B "${top.name}"`);
    }
  });
  for (const [track, stack] of open) {
    for (const s of stack) if (s.end === Infinity) problems.push(`B "${s.name}" on track ${track} has no E`);
  }
  return problems;
}
