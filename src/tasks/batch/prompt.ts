/**
 * The prompt is a template file (prompts/local-events.txt, or the file named by
 * LLM_PROMPT_FILE) with {{placeholders}} and a SYSTEM: and a USER: part. Its
 * version is the hash of its text, stored with every run, so that a change of
 * wording is visible in batch_runs.
 */
import { createHash } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { ConfigError } from '../../core/errors.js';
import { PROMPT_FILE_MAX_BYTES } from '../../integrations/limits.js';

export const DEFAULT_PROMPT_FILE = fileURLToPath(new URL('../../../../prompts/local-events.txt', import.meta.url));

export interface PromptTemplate {
  path: string;
  version: string;
  system: string;
  user: string;
}

export interface PromptValues {
  location: string;
  radius: number;
  start_date: string;
  end_date: string;
  max_events: number;
  [name: string]: string | number;
}

export function loadPromptTemplate(path: string = DEFAULT_PROMPT_FILE, variable = 'LLM_PROMPT_FILE'): PromptTemplate {
  let text: string;
  try {
    // Checked before reading: /dev/zero or a FIFO would never end, a huge file would be a huge paid prompt.
    const stat = statSync(path);
    if (!stat.isFile()) throw new ConfigError(variable, `${variable} names ${path}, which is not a regular file`);
    if (stat.size > PROMPT_FILE_MAX_BYTES)
      throw new ConfigError(variable, `${variable} names ${path}, which is larger than ${PROMPT_FILE_MAX_BYTES} bytes (${stat.size})`);
    text = readFileSync(path, 'utf8');
    if (Buffer.byteLength(text) > PROMPT_FILE_MAX_BYTES)
      throw new ConfigError(variable, `${variable} names ${path}, which is larger than ${PROMPT_FILE_MAX_BYTES} bytes`);
  } catch (err) {
    if (err instanceof ConfigError) throw err;
    throw new ConfigError(variable, `${variable} names a prompt file that cannot be read: ${path} (${(err as NodeJS.ErrnoException).code ?? 'error'})`);
  }
  const match = /^\s*SYSTEM:\s*([\s\S]*?)^\s*USER:\s*([\s\S]*)$/m.exec(text);
  if (!match) throw new ConfigError(variable, `${variable}: the prompt file ${path} must have a "SYSTEM:" part followed by a "USER:" part`);
  if (!text.includes('{{location}}')) throw new ConfigError(variable, `${variable}: the prompt file ${path} has no {{location}} placeholder`);
  return {
    path,
    version: createHash('sha256').update(text).digest('hex').slice(0, 12),
    system: match[1].trim(),
    user: match[2].trim(),
  };
}

/** Fills {{name}} placeholders; an unknown placeholder is an error, not silent text. */
export function renderPrompt(template: string, values: PromptValues): string {
  return template.replace(/\{\{\s*([a-z_]+)\s*\}\}/g, (_whole, name: string) => {
    if (!(name in values)) throw new ConfigError('LLM_PROMPT_FILE', `the prompt uses {{${name}}}, which is not one of: ${Object.keys(values).join(', ')}`);
    return String(values[name]);
  });
}

/** "78701, Austin, TX": the location line the old system sent. */
export function locationLine(center: { zip_code: string | null; city: string | null; state: string | null }): string {
  return [center.zip_code, center.city, center.state].filter((p) => p?.trim()).join(', ');
}
