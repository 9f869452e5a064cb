import fs from 'node:fs';
import { NESTED, checkInput, configKeys, envName, fail, specOf, type ConfigInput } from './config.js';

/**
 * Where configuration comes from, key by key: flags over HUBBUB_* environment
 * variables over a JSON file (--config / HUBBUB_CONFIG). Each source is
 * checked as it is read (unknown keys, wrong types, named with their source);
 * ranges and contradictions are makeConfig's, after the layers are merged.
 */

/** Sets a flattened key on a ConfigInput. */
function put(out: Record<string, unknown>, key: string, value: unknown): void {
  const [head, tail] = key.split('.') as [string, string | undefined];
  if (tail === undefined) out[head] = value;
  else ((out[head] ??= {}) as Record<string, unknown>)[tail] = value;
}

/** A string (environment variable, flag) as `key`'s typed value; refused naming `source`. */
function parseString(key: string, raw: string, source: string): unknown {
  const spec = specOf(key)!;
  const bad = (why: string): never => fail(`${key} (${source}) ${why}, got ${JSON.stringify(raw)}`);
  switch (spec.kind) {
    case 'int': {
      if (!/^-?\d+$/.test(raw.trim())) bad('must be an integer');
      return Number(raw.trim());
    }
    case 'bool': {
      const v = raw.trim().toLowerCase();
      if (['1', 'true', 'yes', 'on'].includes(v)) return true;
      if (['0', 'false', 'no', 'off'].includes(v)) return false;
      return bad('must be true or false');
    }
    case 'list':
      return raw
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean);
    case 'enum':
      return spec.values.includes(raw) ? raw : bad(`must be one of ${spec.values.join(', ')}`);
    case 'trustProxy':
      return raw === 'true' ? true : raw === 'false' ? false : /^\d+$/.test(raw) ? Number(raw) : raw;
    case 'string':
      return raw;
  }
}

/** Reads a JSON configuration file shaped like DEFAULTS (nested rateLimits); unknown keys and wrong types are refused. */
export function readConfigFile(file: string): ConfigInput {
  let parsed: unknown;
  try {
    parsed = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (err) {
    return fail(`cannot read ${file}: ${(err as Error).message}`);
  }
  checkInput(parsed as Record<string, unknown>, ` in ${file}`);
  return parsed as ConfigInput;
}

/** Every HUBBUB_* variable of a key (empty ones are ignored, as unset). */
export function configFromEnv(env: NodeJS.ProcessEnv = process.env): ConfigInput {
  const out: Record<string, unknown> = {};
  for (const key of configKeys()) {
    const name = envName(key);
    const raw = env[name];
    if (raw !== undefined && raw !== '') put(out, key, parseString(key, raw, `from ${name}`));
  }
  checkInput(out, ' (from the environment)');
  return out as ConfigInput;
}

/**
 * The configuration input from every source, key by key: flags over
 * environment over the file (`file`, else HUBBUB_CONFIG) over the defaults
 * (which makeConfig lays underneath). Flags are keyed like the config
 * ("rateLimits.send"); strings are parsed as environment values are.
 */
export function resolveConfigInput(sources: { file?: string; env?: NodeJS.ProcessEnv; flags?: Record<string, unknown> }): ConfigInput {
  const env = sources.env ?? {};
  const file = sources.file ?? env.HUBBUB_CONFIG;
  const layers: ConfigInput[] = [file ? readConfigFile(file) : {}, configFromEnv(env)];
  const flags: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(sources.flags ?? {})) {
    if (value === undefined) continue;
    if (!specOf(key)) fail(`unknown key ${key} (from a flag)`);
    const flag = key.includes('.') ? `--set ${key}=…` : `--${key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;
    put(flags, key, typeof value === 'string' ? parseString(key, value, `from ${flag}`) : value);
  }
  checkInput(flags, ' (from a flag)');
  layers.push(flags);
  const out: Record<string, unknown> = {};
  for (const layer of layers) {
    for (const [k, v] of Object.entries(layer)) {
      if ((NESTED as readonly string[]).includes(k)) out[k] = { ...(out[k] as object | undefined), ...(v as object) };
      else out[k] = v;
    }
  }
  return out as ConfigInput;
}
