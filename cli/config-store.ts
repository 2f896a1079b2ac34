import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';

/** Where `mlhub login` keeps the API URL and token: $MLHUB_CONFIG, or the XDG config folder. */
export function configPath(env: NodeJS.ProcessEnv = process.env): string {
  if (env.MLHUB_CONFIG) return env.MLHUB_CONFIG;
  const base = env.XDG_CONFIG_HOME || join(homedir(), '.config');
  return join(base, 'mlhub', 'config.json');
}

export interface CliConfig {
  readonly url: string;
  readonly token?: string;
}

export const DEFAULT_URL = 'http://127.0.0.1:8083';

/** The saved login, overridden by MLHUB_URL and MLHUB_TOKEN so scripts need no file. */
export async function loadConfig(env: NodeJS.ProcessEnv = process.env): Promise<CliConfig> {
  let saved: Partial<CliConfig> = {};
  try {
    saved = JSON.parse(await readFile(configPath(env), 'utf8')) as Partial<CliConfig>;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  const url = env.MLHUB_URL || saved.url || DEFAULT_URL;
  const token = env.MLHUB_TOKEN || saved.token;
  return { url: url.replace(/\/+$/, ''), ...(token ? { token } : {}) };
}

export async function saveConfig(config: CliConfig, env: NodeJS.ProcessEnv = process.env): Promise<string> {
  const path = configPath(env);
  await mkdir(dirname(path), { recursive: true, mode: 0o700 });
  // The token is a credential: only its owner may read the file.
  await writeFile(path, `${JSON.stringify(config, null, 2)}\n`, { mode: 0o600 });
  return path;
}
