// The sample's own .vscode/ (what makes F5 and Ctrl+Shift+B work straight away), the
// "hypercall: build" task's shell script run for real with and without gcc and make on PATH,
// and the $hypercall-gcc problem matcher's pattern on gcc's own diagnostics.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

vi.mock('vscode', () => ({}));
const { BUILD_SCRIPT, BUILD_TASK_LABEL, EXIT_MISSING_TOOLS, MISSING_TOOLS, PROBLEM_MATCHER, USING_BUILT_ELFS } = await import('../../extension/buildTask');
const { launchConfiguration } = await import('../../extension/configurationProvider');
const { buildTaskEntry } = await import('../../extension/folderSetup');

const root = resolve(__dirname, '../..');
const sample = resolve(root, 'samples/hello-hypercall');
const manifest = JSON.parse(readFileSync(resolve(root, 'package.json'), 'utf8'));

/** launch.json and tasks.json allow // comments on their own lines. */
function readJsonc(path: string): any {
  return JSON.parse(readFileSync(path, 'utf8').split('\n').filter((l) => !/^\s*\/\//.test(l)).join('\n'));
}

function which(tool: string): string {
  return execFileSync('/bin/sh', ['-c', `command -v ${tool}`], { encoding: 'utf8' }).trim();
}

describe('the sample workspace', () => {
  it('ships the launch configuration the extension would add, rebuilding first with the build task', () => {
    const launch = readJsonc(join(sample, '.vscode/launch.json'));
    expect(launch.configurations).toEqual([launchConfiguration(true)]);
    expect(launch.configurations[0].preLaunchTask).toBe(BUILD_TASK_LABEL);
    const tasks = readJsonc(join(sample, '.vscode/tasks.json'));
    expect(tasks.tasks).toEqual([buildTaskEntry()]);
    // What tasks.json names is what package.json contributes.
    expect(manifest.contributes.taskDefinitions.map((d: { type: string }) => d.type)).toContain(tasks.tasks[0].type);
    expect(manifest.contributes.problemMatchers.map((m: { name: string }) => `$${m.name}`)).toContain(PROBLEM_MATCHER);
    expect(readFileSync(resolve(root, '.vscodeignore'), 'utf8')).toMatch(/^!samples\/hello-hypercall\/\.vscode\/\*\.json$/m);
  });
});

describe('the "hypercall: build" task script', () => {
  let dir: string;
  let bin: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'hcdbg-build task-'));
    bin = join(dir, 'bin');
    mkdirSync(bin);
    writeFileSync(join(dir, 'Makefile'), 'all:\n\t@echo built by make\n');
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const run = (path = bin) => spawnSync('/bin/sh', ['-c', BUILD_SCRIPT, 'sh', MISSING_TOOLS, USING_BUILT_ELFS], { cwd: dir, env: { PATH: path }, encoding: 'utf8' });

  it('runs make when gcc and make are on PATH', () => {
    const result = run(process.env.PATH);
    expect(result.stdout).toBe('built by make\n');
    expect(result.status).toBe(0);
  });

  it('says in one sentence what to install when gcc is missing, and fails if nothing is built', () => {
    symlinkSync(which('make'), join(bin, 'make'));
    const result = run();
    expect(result.stdout).toBe('Rebuilding needs gcc and make (Debian: apt-get install gcc make); not found: gcc.\n');
    expect(result.status).toBe(EXIT_MISSING_TOOLS);
  });

  it('lets F5 debug the ELFs already built when neither tool is there', () => {
    mkdirSync(join(dir, 'build'));
    for (const elf of ['guest.elf', 'host.elf']) writeFileSync(join(dir, 'build', elf), '');
    const result = run();
    expect(result.stdout.split('\n')).toEqual([
      'Rebuilding needs gcc and make (Debian: apt-get install gcc make); not found: gcc make.',
      'Debugging the ELFs already in build/, without source edits made since they were built.', '',
    ]);
    expect(result.status).toBe(0);
  });
});

describe('the $hypercall-gcc problem matcher', () => {
  it('reads file, line, column, severity and message from gcc 12 diagnostics with the sample\'s column unit', () => {
    const dir = mkdtempSync(join(tmpdir(), 'hcdbg-gcc-'));
    try {
      mkdirSync(join(dir, 'host'));
      writeFileSync(join(dir, 'host/x86.c'), 'int f(void)\n{\n\tint unused;\n\treturn missing;\n}\n'); // tab-indented, as the sample is
      const columnUnit = /^CFLAGS\s*\+=\s*(-fdiagnostics-column-unit=byte)$/m.exec(readFileSync(join(sample, 'Makefile'), 'utf8'))?.[1];
      expect(columnUnit).toBeDefined();
      const gcc = spawnSync('gcc', ['-Wall', columnUnit!, '-c', '-o', '/dev/null', 'host/x86.c'], { cwd: dir, encoding: 'utf8', env: { ...process.env, LC_ALL: 'C' } });
      const pattern = manifest.contributes.problemPatterns.find((p: { name: string }) => `$${p.name}` === manifest.contributes.problemMatchers[0].pattern);
      const problems = gcc.stderr.split('\n').flatMap((line) => {
        const m = new RegExp(pattern.regexp).exec(line);
        return m ? [[m[pattern.file], Number(m[pattern.line]), Number(m[pattern.column]), m[pattern.severity], m[pattern.message]]] : [];
      });
      // Columns count the tab as one, as the editor does.
      expect(problems).toEqual([
        ['host/x86.c', 4, 9, 'error', "'missing' undeclared (first use in this function)"],
        ['host/x86.c', 3, 6, 'warning', "unused variable 'unused' [-Wunused-variable]"],
        ['host/x86.c', 5, 1, 'warning', 'control reaches end of non-void function [-Wreturn-type]'],
      ]); // the "note:" line under the error is not a problem of its own
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
