// Mnemonics of the architectural exception vectors (SDM vol. 3A 6.3, Table 6-1), for the
// sentences the front ends write about faults.

const MNEMONICS = ['#DE', '#DB', 'NMI', '#BP', '#OF', '#BR', '#UD', '#NM', '#DF', 'vector 9', '#TS', '#NP', '#SS', '#GP', '#PF', 'vector 15', '#MF', '#AC', '#MC', '#XM', '#VE', '#CP'];

/** "#GP" for 13, "vector 40" for a vector without a mnemonic. */
export function exceptionName(vector: number): string {
  return MNEMONICS[vector] ?? `vector ${vector}`;
}

/** The cause of a shutdown in a few words: "#UD escalated until #GP (error code 0x0)". */
export function escalationText(vector: number, firstVector?: number, errorCode?: number): string {
  const from = firstVector !== undefined && firstVector !== vector ? `${exceptionName(firstVector)} escalated until ` : '';
  const code = errorCode !== undefined ? ` (error code 0x${errorCode.toString(16)})` : '';
  return `${from}${exceptionName(vector)}${code}`;
}
