/**
 * @module
 * A QEMU command line as users paste it: libvirt's (`/var/log/libvirt/qemu/<guest>.log`, `virsh
 * domxml-to-native`), Kata's, a shell script's. The words as a POSIX shell splits them (quotes, backslashes,
 * backslash-newline continuations), the environment prefix (`LC_ALL=C PATH=… HOME=…`) and the program
 * (`/usr/bin/qemu-system-x86_64`, `qemu-kvm`, `/usr/libexec/qemu-kvm`) taken off, so what is left is QEMU's argv.
 */
import { readFileSync } from 'node:fs';
import { PcisimError } from './errors.js';

/** The program names of QEMU's x86 system emulator as distributions install it. */
const QEMU_PROGRAM = /(^|\/)(qemu-system-x86_64|qemu-system-i386|qemu-kvm)$/;

/** `word` is the QEMU program (`/usr/bin/qemu-system-x86_64`, `qemu-kvm`, `/usr/libexec/qemu-kvm`). */
export function isQemuProgram(word: string): boolean {
  return QEMU_PROGRAM.test(word);
}

/** An environment assignment of a command's prefix (`NAME=value`, as POSIX names a shell variable). */
const ASSIGNMENT = /^[A-Za-z_][A-Za-z0-9_]*=/;

/**
 * A pasted argv without what precedes QEMU's options: the environment assignments a shell would apply to
 * the command (libvirt prints `LC_ALL=C PATH=… HOME=… XDG_…=…` before the program), `env` itself, and the
 * program. An argv that starts with neither is returned as it is.
 */
export function stripLauncher(words: readonly string[]): string[] {
  let i = 0;
  if (words[i] === 'env') i++;
  while (i < words.length && ASSIGNMENT.test(words[i]!)) i++;
  if (i < words.length && isQemuProgram(words[i]!)) return words.slice(i + 1);
  // assignments with no QEMU program after them: not a launcher prefix, leave the words to QEMU's parser
  return i > 0 && i === words.length ? [] : [...words];
}

/**
 * The words of a shell command line (POSIX sh, the subset command lines use): blanks separate words;
 * `'…'` is literal; `"…"` keeps `\"`, `\\`, `\$`, `` \` `` and drops a backslash-newline; outside quotes a
 * backslash quotes the next character and a backslash-newline is a continuation; `#` at a word's start
 * begins a comment. An unterminated quote is a {@link PcisimError} naming it.
 */
export function shellWords(text: string): string[] {
  const words: string[] = [];
  let word = '';
  let inWord = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (c === '\\') {
      const next = text[i + 1];
      i++;
      if (next === undefined) break;
      if (next === '\n') continue;
      word += next;
      inWord = true;
    } else if (c === "'") {
      const end = text.indexOf("'", i + 1);
      if (end < 0) throw new PcisimError(`unterminated ' quote in the command line: ${text.slice(i, i + 40)}…`);
      word += text.slice(i + 1, end);
      inWord = true;
      i = end;
    } else if (c === '"') {
      inWord = true;
      let j = i + 1;
      for (; j < text.length && text[j] !== '"'; j++) {
        if (text[j] === '\\' && j + 1 < text.length && '"\\$`\n'.includes(text[j + 1]!)) {
          if (text[j + 1] !== '\n') word += text[j + 1];
          j++;
        } else word += text[j];
      }
      if (j >= text.length) throw new PcisimError(`unterminated " quote in the command line: ${text.slice(i, i + 40)}…`);
      i = j;
    } else if (c === ' ' || c === '\t' || c === '\n' || c === '\r') {
      if (inWord) words.push(word);
      word = '';
      inWord = false;
    } else if (c === '#' && !inWord) {
      const nl = text.indexOf('\n', i);
      i = nl < 0 ? text.length : nl - 1;
    } else {
      word += c;
      inWord = true;
    }
  }
  if (inWord) words.push(word);
  return words;
}

/** the line libvirt writes before each start of the guest (src/qemu/qemu_process.c, qemuLogOperation) */
const LIBVIRT_START = /: starting up libvirt version: /;

/**
 * The QEMU command line of a file: the last one of a libvirt guest log (`/var/log/libvirt/qemu/<guest>.log`,
 * the lines after the last "starting up libvirt version" up to the first line that does not end with a
 * backslash), or else the whole file as a shell command line (`virsh domxml-to-native qemu-argv` output, a
 * script). Returns QEMU's argv, without the environment prefix and the program.
 */
export function qemuArgvOfText(text: string, name: string): string[] {
  const lines = text.split('\n');
  let start = -1;
  for (let i = 0; i < lines.length; i++) if (LIBVIRT_START.test(lines[i]!)) start = i;
  let body: string;
  if (start >= 0) {
    const cmd: string[] = [];
    for (let i = start + 1; i < lines.length; i++) {
      const l = lines[i]!.replace(/\r$/, '');
      cmd.push(l);
      if (!l.endsWith('\\')) break;
    }
    body = cmd.join('\n');
  } else body = text;
  const words = shellWords(body);
  const argv = stripLauncher(words);
  if (argv.length === words.length && !words.some((w) => w.startsWith('-'))) {
    throw new PcisimError(`${name}: no QEMU command line in it (a libvirt guest log, or a qemu-system-x86_64 command line)`);
  }
  return argv;
}

/** {@link qemuArgvOfText} of a file (`--cmdline-file`); a file that cannot be read is one line naming it. */
export function readQemuCommandLineFile(path: string): string[] {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new PcisimError(`--cmdline-file: cannot read ${path}: ${code === 'ENOENT' ? 'no such file or directory' : code ?? String(e)}`);
  }
  return qemuArgvOfText(text, path);
}
