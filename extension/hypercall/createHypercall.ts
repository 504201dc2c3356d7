// "Create a New Custom Hypercall": finds kvm_para.h, the host's host/hypercalls/ folder and a
// guest file that makes a hypercall in the workspace, applies what customHypercall.ts plans
// (the new handler file, the number and guest caller, the guest's call) as one undoable
// workspace edit, and shows the new handler.

import * as vscode from 'vscode';
import { CustomHypercallError, hypercallNameProblem, planNewHypercall, type GuestSource, type NewHypercall } from './customHypercall';

const decoder = new TextDecoder();
const encoder = new TextEncoder();

async function read(uri: vscode.Uri): Promise<string> {
  const open = vscode.workspace.textDocuments.find((d) => d.uri.toString() === uri.toString());
  return open ? open.getText() : decoder.decode(await vscode.workspace.fs.readFile(uri));
}

async function firstContaining(glob: string, pattern: RegExp): Promise<{ uri: vscode.Uri; text: string } | undefined> {
  for (const uri of (await vscode.workspace.findFiles(glob, '**/node_modules/**', 200)).sort((a, b) => a.path.localeCompare(b.path))) {
    const text = await read(uri);
    if (pattern.test(text)) return { uri, text };
  }
  return undefined;
}

function replaceAll(edit: vscode.WorkspaceEdit, uri: vscode.Uri, text: string): void {
  edit.replace(uri, new vscode.Range(0, 0, Number.MAX_SAFE_INTEGER, 0), text);
}

/** Returns the plan applied, or undefined if the user cancelled or the sources did not fit. */
export async function createHypercall(): Promise<NewHypercall | undefined> {
  const para = await firstContaining('**/kvm_para.h', /#\s*define\s+KVM_HC_/);
  // A sample copied before handlers were numbered in their own file has a hypercall.h without KVM_CUSTOM_HYPERCALL.
  const api = await firstContaining('**/host/hypercalls/hypercall.h', /#\s*define\s+KVM_CUSTOM_HYPERCALL\b/);
  if (!para || !api) {
    void vscode.window.showErrorMessage(para
      ? 'This workspace has no host/hypercalls/hypercall.h defining KVM_CUSTOM_HYPERCALL (one file per hypercall): open the hello-hypercall sample again.'
      : 'This workspace has no kvm_para.h with KVM_HC_* numbers: open the hello-hypercall sample first.');
    return undefined;
  }
  const folder = vscode.Uri.joinPath(api.uri, '..');
  const handlerFiles = (await vscode.workspace.fs.readDirectory(folder)).map(([name]) => name);
  const guestFile = await firstContaining('**/guest/**/*.c', /^\s+.*\bkvm_hypercall[0-4]\s*\(.*\)\s*;/m);
  const name = await vscode.window.showInputBox({
    title: 'Create a New Custom Hypercall',
    prompt: 'Name of the hypercall (becomes KVM_HC_<NAME>)',
    placeHolder: 'e.g. ping',
    // Stays open when the focus moves: the walkthrough page takes it back right after its
    // button ran this command (the box then closed under the test's typing), and a user may
    // look a number up in kvm_para.h before choosing the name.
    ignoreFocusOut: true,
    validateInput: (value) => hypercallNameProblem(value, { kvmParaH: para.text, handlerFiles }),
  });
  if (name === undefined) return undefined;
  let plan;
  try {
    const guest: GuestSource | undefined = guestFile && { path: guestFile.uri.toString(), text: guestFile.text };
    plan = planNewHypercall(name, { kvmParaH: para.text, handlerFiles, guest });
  } catch (e) {
    if (e instanceof CustomHypercallError) {
      void vscode.window.showErrorMessage(e.message);
      return undefined;
    }
    throw e;
  }
  const handler = vscode.Uri.joinPath(folder, plan.handler.fileName);
  const edit = new vscode.WorkspaceEdit();
  edit.createFile(handler, { contents: encoder.encode(plan.handler.text) });
  replaceAll(edit, para.uri, plan.kvmParaH);
  if (plan.guest && guestFile) replaceAll(edit, guestFile.uri, plan.guest.text);
  await vscode.workspace.applyEdit(edit);
  // Saved, so that F5's rebuild sees them (VS Code saves only the active group's editors); still one undo.
  const edited = [para.uri, ...(plan.guest && guestFile ? [guestFile.uri] : [])];
  await Promise.all(edited.map(async (uri) => (await vscode.workspace.openTextDocument(uri)).save()));
  for (const warning of plan.warnings) void vscode.window.showWarningMessage(warning);
  const position = new vscode.Position(plan.handler.line, 0);
  await vscode.window.showTextDocument(handler, { selection: new vscode.Range(position, position.translate(1)) });
  void vscode.window.showInformationMessage(
    `Added ${plan.macro} = 0x${plan.number.toString(16)}: its handler ${plan.handler.handler}() in host/hypercalls/${plan.handler.fileName}, ${plan.caller}() in kvm_para.h` +
    (plan.guest ? ' and a call from the guest' : '') + '. Press F5: the "hypercall: build" task rebuilds with gcc and make first.');
  return plan;
}
