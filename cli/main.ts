import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import type { Caller, DeletedModel, Deployment, Health, Model, ModelSummary, ModelVersion, PublicationAnswer, SearchAnswer } from './api-types';
import { ApiClient, modelPath } from './api-client';
import { CliError } from './cli-error';
import { DEFAULT_URL, loadConfig, saveConfig } from './config-store';
import { Output, humanBytes, redactOutput } from './output';
import { bundleNameFor, packDirectory } from './pack-directory';
import { pullBundle } from './pull-bundle';
import { pushBundle } from './push-bundle';
import { RESULT_FORMATS, batchPredict, type ResultFormat } from './batch-predict';
import { progressDisplay, silentProgress } from './job-progress';
import { servingLines } from './serving-lines';
import { MODEL_TYPES } from '../functions/registry/model-type';
import { SEARCH_SORTS } from '../functions/search/search-engine';
import { PAGE_LIMIT, searchPages, searchTable, type SearchOptions } from './search-command';

interface GlobalOptions {
  json?: boolean;
  url?: string;
  token?: string;
}

const positiveInt = (value: string): number => {
  const number = Number(value);
  if (!Number.isInteger(number) || number < 1) throw new InvalidArgumentError('must be a whole number of at least 1');
  return number;
};

async function context(command: Command): Promise<{ api: ApiClient; out: Output }> {
  const options = command.optsWithGlobals<GlobalOptions>();
  const saved = await loadConfig();
  const url = (options.url ?? saved.url).replace(/\/+$/, '');
  const token = options.token ?? saved.token;
  return { api: new ApiClient({ url, ...(token ? { token } : {}) }), out: new Output(Boolean(options.json)) };
}


/** Where the local MLHub running on a data folder listens, from the runtime.json `npm start` keeps there. */
async function localAddress(dataDir: string): Promise<string> {
  const { readRuntimeRecord } = await import('../local/runtime-file');
  const running = await readRuntimeRecord(dataDir);
  if (!running?.url) {
    throw new CliError(`No local MLHub is running on the data folder ${resolve(dataDir)} (it holds no runtime.json naming a live process); start one with npm start in the folder above it, or give --data-dir <folder> or --url <url>`);
  }
  return running.url;
}

/** A model this push created, which it removes again if no version of it becomes ready. */
interface CreatedModel {
  /** Removes the model if it still has no ready version; resolves to what to tell the user ('' when nothing was done). */
  undo(why: string): Promise<string>;
}

async function createIfMissing(api: ApiClient, name: string, type: string): Promise<CreatedModel | undefined> {
  const response = await api.request('POST', modelPath(name), { json: { type } });
  if (response.status === 409) return undefined; // it was there before: never this push's to remove
  await ApiClient.read(response, 'create');
  let undone: Promise<string> | undefined;
  return {
    undo(why) {
      undone ??= (async () => {
        try {
          const model = await api.json<Model>('GET', modelPath(name));
          if ((model.versions ?? []).some((version) => version.status === 'ready')) return '';
          await api.json('DELETE', modelPath(name));
          return `Removed the model ${name} that this push had created, since ${why} before any version of it was ready`;
        } catch (error) {
          return `This push created the model ${name}, and could not remove it after ${why} (${(error as Error).message}); remove it with: mlhub rm ${name} --yes`;
        }
      })();
      return undone;
    },
  };
}

interface PredictOptions {
  input?: string; data?: string; inputFile?: string; image?: string; version?: number;
  dataset?: string; datasetId?: string; out?: string; format?: ResultFormat; columns?: string; keep?: string;
  onError?: 'skip' | 'fail'; tolerate?: number; parallel: number;
}

const percent = (value: string): number => {
  const number = Number(value);
  if (value.trim() === '' || !Number.isFinite(number)) throw new InvalidArgumentError('must be a percentage, a number from 0 to 100');
  return number;
};

/**
 * `predict <name> --dataset <file> --out <file>`: a batch job (cli/batch-predict.ts). Progress
 * goes to stderr, as push's does: a bar for the upload and a redrawn job line on a terminal, plain
 * job lines in a pipe; nothing with --json, whose stdout is the result.
 */
async function predictDataset(name: string, options: PredictOptions & { out: string }, api: ApiClient, out: Output): Promise<void> {
  let hashing: ReturnType<Output['progress']> | undefined;
  let uploading: ReturnType<Output['progress']> | undefined;
  const result = await batchPredict(api, name, options, {
    notice: out.json ? () => undefined : (line) => process.stderr.write(`${line}\n`),
    progress: out.json ? silentProgress : progressDisplay(process.stderr),
    upload: {
      hashing: (done, total) => (hashing ??= out.progress('hashing  ', total)).update(done),
      uploading: (done, total) => {
        hashing?.stop();
        (uploading ??= out.progress('uploading', total)).update(done);
      },
      done: () => uploading?.stop(),
    },
  });
  out.result(result, () => `Wrote ${result.rows_done.toLocaleString('en-US')} predictions to ${result.out} (${result.format}) in ${result.seconds.toFixed(1)} s` +
    (result.throughput !== null ? `, ${Math.round(result.throughput).toLocaleString('en-US')} rows/s` : '') +
    (result.errors_file ? `; ${result.rows_failed.toLocaleString('en-US')} row(s) failed: see ${result.errors_file}` : ''));
}

export function buildProgram(): Command {
  const program = new Command('mlhub')
    .description('Store, version, share and run ML models on an MLHub')
    .option('--json', 'print results as JSON, for scripts')
    .option('--url <url>', `MLHub's address (default: the saved login, or ${DEFAULT_URL})`)
    .option('--token <token>', 'a bearer token (default: the saved login, or MLHUB_TOKEN)')
    .showHelpAfterError()
    .exitOverride();

  program.command('login')
    .description('save the MLHub address and a token for the next commands')
    .option('--local', 'sign in to the local `npm start` running on a data folder: its address and a token come from the folder')
    .option('--user <user>', 'the user to act as, with --local', 'local')
    .option('--data-dir <dir>', "the local MLHub's data folder, with --local (default: $MLHUB_DATA_DIR, or .mlhub here)", process.env.MLHUB_DATA_DIR || '.mlhub')
    .action(async (options: { local?: boolean; user: string; dataDir: string }, command: Command) => {
      const globals = command.optsWithGlobals<GlobalOptions>();
      let url = (globals.url || process.env.MLHUB_URL || DEFAULT_URL).replace(/\/+$/, '');
      let token = globals.token || process.env.MLHUB_TOKEN;
      if (options.local) {
        // The running MLHub wrote its address into its data folder, whatever PORT it got; --url still wins.
        if (!globals.url) url = await localAddress(options.dataDir);
        const { openLocalIssuer } = await import('../local/local-issuer');
        token = await (await openLocalIssuer(options.dataDir)).sign(options.user, { expiresIn: '30d' });
      }
      if (!token) throw new CliError('Give --token <token> (a sign-in token or a personal access token), or --local for a local MLHub');
      const api = new ApiClient({ url, token });
      const status = await api.json<Health>('GET', '/status');
      await api.json('GET', '/models?limit=1');
      const path = await saveConfig({ url, token });
      new Output(Boolean(globals.json)).result({ url, saved: path, service: status }, () => `Signed in to ${url} (MLHub ${status.version}); saved to ${path}`);
    });

  program.command('whoami')
    .description('show who MLHub takes you for: your user id (what an owner names to share a model with you), how you signed in, and your token\'s scope')
    .action(async (_options: unknown, command: Command) => {
      const { api, out } = await context(command);
      const me = await api.json<Caller>('GET', '/me');
      out.result(me, () => `${me.user} (${me.auth === 'token' ? `personal access token ${me.token_id ?? ''}, ${me.scope ?? ''} scope` : me.auth === 'dev' ? 'dev mode' : 'signed in'})`);
    });

  program.command('create <name>')
    .description('create a model record')
    .requiredOption('-t, --type <type>', `the framework: ${MODEL_TYPES.join(', ')} (any case; tf, torch, sklearn, xgb… too)`)
    .option('-d, --description <text>', 'what the model does')
    .option('--meta <json>', 'metadata as a JSON object')
    .option('--public', 'make it readable by anyone')
    .action(async (name: string, options: { type: string; description?: string; meta?: string; public?: boolean }, command: Command) => {
      const { api, out } = await context(command);
      let meta: unknown = {};
      if (options.meta !== undefined) {
        try {
          meta = JSON.parse(options.meta);
        } catch {
          throw new CliError('--meta must be a JSON object, e.g. --meta \'{"epochs": 10}\'');
        }
      }
      const created = await api.json<Model>('POST', modelPath(name), { json: { type: options.type, meta, ...(options.description ? { description: options.description } : {}) } });
      if (options.public) await api.json('PUT', `${modelPath(name)}/access`, { json: { visibility: 'public' } });
      out.result({ ...created, visibility: options.public ? 'public' : created.visibility }, () => `Created ${name} (${created.type})`);
    });

  program.command('ls')
    .description('list the models you can see, newest first')
    .option('--mine', 'only your own')
    .option('-n, --limit <n>', 'at most this many', positiveInt)
    .action(async (options: { mine?: boolean; limit?: number }, command: Command) => {
      const { api, out } = await context(command);
      const models: ModelSummary[] = [];
      let cursor: string | null = null;
      do {
        const query = new URLSearchParams({ limit: String(Math.min(100, options.limit ?? 100)), ...(options.mine ? { mine: '1' } : {}), ...(cursor ? { cursor } : {}) });
        const response = await api.request('GET', `/models?${query.toString()}`);
        models.push(...(await ApiClient.read<ModelSummary[]>(response, 'GET /models')));
        cursor = response.headers.get('x-next-cursor');
      } while (cursor && (options.limit === undefined || models.length < options.limit));
      const shown = options.limit === undefined ? models : models.slice(0, options.limit);
      out.result(shown, () => shown.length === 0 ? 'No models.' : shown.map((model) =>
        `${model.model.padEnd(32)} ${model.type.padEnd(11)} v${String(model.latest_version ?? '-').padEnd(4)} ${model.visibility.padEnd(8)} ${model.owner}`).join('\n'));
    });

  program.command('search [query]')
    .description('search the models you can see: full text (prefixes and one typo allowed), filters, facets; pages on with --all or --limit')
    .option('--author <name>', 'only models with this scholarly author (a name or an ORCID iD); for the account, --owner')
    .option('--owner <user>', 'only models owned by this user id')
    .option('--framework <type>', `only models of this framework (detected in the bundle, else the declared type): ${MODEL_TYPES.join(', ')}`)
    .option('--task <task>', 'only models for this task (e.g. image-classification)')
    .option('--discipline <name>', 'only models of this discipline')
    .option('--license <spdx>', 'only models under this license (an SPDX id, such as MIT)')
    .option('--keyword <word>', 'only models with this keyword')
    .addOption(new Option('--published <bool>', 'only models with (true) or without (false) a published version').choices(['true', 'false']))
    .addOption(new Option('--has-doi <bool>', 'only models with (true) or without (false) a concept DOI').choices(['true', 'false']))
    .option('--updated-since <date>', 'only models updated at or after it: an ISO 8601 date or date-time (2026-01-31, 2026-01-31T12:00:00Z)')
    .option('--mine', 'only your own')
    .option('--sort <order>', `${SEARCH_SORTS.join(', ')} (default relevance with a query, else updated)`)
    .addOption(new Option('--direction <dir>', 'desc (the default) or asc (the default for --sort name)').choices(['asc', 'desc']))
    .option('-n, --limit <n>', `at most this many, fetched ${PAGE_LIMIT} a page (default: one page of 50)`, positiveInt)
    .addOption(new Option('--all', 'every hit, page after page').conflicts('limit'))
    .option('--cursor <cursor>', "start after a previous search's next_cursor (same query and options)")
    .action(async (text: string | undefined, options: SearchOptions, command: Command) => {
      const { api, out } = await context(command);
      const answer = await searchPages((path) => api.json<SearchAnswer>('GET', path), text, options);
      out.result(answer, () => searchTable(answer));
    });

  program.command('show <name>')
    .description("a model's record and versions")
    .action(async (name: string, _options: unknown, command: Command) => {
      const { api, out } = await context(command);
      const model = await api.json<Model>('GET', modelPath(name));
      out.result(model, () => [
        `${model.model} (${model.type}), ${model.visibility}, owned by ${model.owner}`,
        ...(model.description ? [model.description] : []),
        ...model.versions.map((version) => `  v${version.version}  ${(version.publication?.state === 'withdrawn' ? 'withdrawn' : version.status).padEnd(9)} ${humanBytes(version.size).padStart(10)}  ${version.sha256 ?? ''}  ${version.created}`),
      ].join('\n'));
    });

  program.command('rm <name>')
    .description('delete a model and all its bundles, or one version (one with a DOI is withdrawn: its tombstone stays, and the name)')
    .option('-y, --yes', 'do not ask (scripts must pass it)')
    .option('-v, --version <n>', 'delete only this version', positiveInt)
    .option('--reason <text>', 'why: a withdrawn version\'s or model\'s tombstone and DOIs say so')
    .action(async (name: string, options: { yes?: boolean; reason?: string; version?: number }, command: Command) => {
      const { api, out } = await context(command);
      const query = options.reason === undefined ? '' : `?reason=${encodeURIComponent(options.reason)}`;
      if (options.version !== undefined) {
        if (!options.yes) throw new CliError(`Deleting ${name} v${options.version} removes its bundle for good; run again with --yes to do it`);
        const ended = await api.json<ModelVersion>('DELETE', `${modelPath(name)}/versions/${options.version}${query}`);
        out.result(ended, () => (ended.publication?.state === 'withdrawn'
          ? `Withdrew ${name} v${ended.version}: its DOI ${ended.publication.doi} still resolves, to its tombstone`
          : `Deleted ${name} v${ended.version}`));
        return;
      }
      if (!options.yes) throw new CliError(`Deleting ${name} removes every version for good; run again with --yes to do it`);
      const deleted = await api.json<DeletedModel>('DELETE', `${modelPath(name)}${query}`);
      out.result(deleted, () => (deleted.withdrawn
        ? `Withdrew ${name}: its DOIs still resolve, to tombstones, and the name stays reserved; ${deleted.versions_deleted} version(s) ended, ${deleted.versions_withdrawn} of them withdrawn`
        : `Deleted ${name} and its ${deleted.versions_deleted} version(s)`));
    });

  program.command('push <name> <path>')
    .description('upload a .tar.gz (or a folder, packed on the fly) as a new version; run it again to resume')
    .option('-p, --parallel <n>', 'parts sent at once', positiveInt, 4)
    .addOption(new Option('--create <type>', `create the model first if it does not exist, with this type: ${MODEL_TYPES.join(', ')}`))
    .action(async (name: string, path: string, options: { parallel: number; create?: string }, command: Command) => {
      const { api, out } = await context(command);
      const info = await stat(path).catch(() => {
        throw new CliError(`${path} does not exist`);
      });
      let scratch: string | undefined;
      let file = path;
      let filename: string | undefined;
      let created: CreatedModel | undefined;
      const onInterrupt = () => {
        void (created?.undo('the push was interrupted') ?? Promise.resolve('')).then((said) => {
          if (said) process.stderr.write(`mlhub: ${said}\n`);
          process.exit(130);
        });
      };
      try {
        // Packed first, so that a folder that cannot be packed never gets as far as creating a model.
        if (info.isDirectory()) {
          scratch = await mkdtemp(join(tmpdir(), 'mlhub-push-'));
          filename = bundleNameFor(path);
          file = join(scratch, filename);
          await packDirectory(path, file);
        }
        if (options.create) {
          created = await createIfMissing(api, name, options.create);
          if (created) process.once('SIGINT', onInterrupt);
        }
        const hashing = out.progress('hashing  ', (await stat(file)).size);
        let bar: ReturnType<Output['progress']> | undefined;
        const result = await pushBundle(api, name, file, {
          parallel: options.parallel,
          ...(filename ? { filename } : {}),
          events: {
            hashing: (done) => hashing.update(done),
            uploading: (done, total) => {
              if (!bar) {
                hashing.stop();
                bar = out.progress('uploading', total);
              }
              bar.update(done);
            },
          },
        });
        bar?.stop();
        out.result(result, () => `Pushed ${name} v${result.version}: ${humanBytes(result.size)}, sha256 ${result.sha256}` +
          (result.resumed ? ` (resumed: ${result.partsSkipped} of ${result.partsTotal} parts were already there)` : '') + servingLines(result.serving));
      } catch (error) {
        const said = await created?.undo('the push failed');
        if (!said) throw error;
        const message = error instanceof CliError ? error.message : (error as Error)?.message ?? String(error);
        throw new CliError(`${message}. ${said}`, error instanceof CliError ? error.exitCode : 1);
      } finally {
        process.removeListener('SIGINT', onInterrupt);
        if (scratch) await rm(scratch, { recursive: true, force: true });
      }
    });

  program.command('publish <name>')
    .description('publish a version with a DOI (owner only), wait until its DOIs are registered, and print them')
    .option('-v, --version <n>', 'which version (default: the latest)', positiveInt)
    .option('--timeout <seconds>', 'how long to wait for the registration', positiveInt, 120)
    .action(async (name: string, options: { version?: number; timeout: number }, command: Command) => {
      const { api, out } = await context(command);
      const version = options.version ?? (await api.json<Model>('GET', modelPath(name))).latest_version;
      if (!version) throw new CliError(`${name} has no ready version to publish; push a bundle first`);
      let publication: PublicationAnswer = await api.json<PublicationAnswer>('POST', `${modelPath(name)}/versions/${version}/publish`);
      // Registration runs off the request path: poll the version, as the API's 202 says.
      for (const deadline = Date.now() + options.timeout * 1000; publication.state === 'publishing';) {
        if (Date.now() > deadline) throw new CliError(`${name} v${version} is still publishing after ${options.timeout} s; its DOI will be ${publication.doi} (see mlhub show ${name})`);
        await new Promise((resolve) => setTimeout(resolve, 1000));
        const read = await api.json<ModelVersion>('GET', `${modelPath(name)}/versions/${version}`);
        if (read.publication) publication = { model: name, version, ...read.publication };
      }
      if (publication.state === 'publish_failed') throw new CliError(`Publishing ${name} v${version} failed: ${publication.reason ?? 'no reason given'}; fix it and run mlhub publish again`);
      out.result(publication, () => `Published ${name} v${version}: DOI ${publication.doi} (${publication.doi_url}), concept DOI ${publication.concept_doi}`);
    });

  const deployPath = (name: string, version: number) => `${modelPath(name)}/versions/${version}/deploy`;
  const describeDeployment = (deployment: Deployment) =>
    `${deployment.model} v${deployment.version} is ${deployment.state.replace('_', ' ')} on the SageMaker endpoint ${deployment.endpoint} (${deployment.framework}, ${deployment.memory_mb} MB, ${deployment.max_concurrency} at once)`;

  program.command('deploy <name>')
    .description('deploy a version (owner only) to its own SageMaker serverless endpoint; predictions then run there')
    .option('-v, --version <n>', 'which version (default: the latest)', positiveInt)
    .option('--memory <mb>', "the endpoint's memory: 1024, 2048, 3072, 4096, 5120 or 6144 MB (default 3072)", positiveInt)
    .option('--concurrency <n>', 'how many predictions the endpoint runs at once (default 2)', positiveInt)
    .option('--wait', 'wait until the endpoint is in service (or failed)')
    .option('--timeout <seconds>', 'how long --wait waits', positiveInt, 900)
    .action(async (name: string, options: { version?: number; memory?: number; concurrency?: number; wait?: boolean; timeout: number }, command: Command) => {
      const { api, out } = await context(command);
      const version = options.version ?? (await api.json<Model>('GET', modelPath(name))).latest_version;
      if (!version) throw new CliError(`${name} has no ready version to deploy; push a bundle first`);
      const body = { ...(options.memory ? { memory_mb: options.memory } : {}), ...(options.concurrency ? { max_concurrency: options.concurrency } : {}) };
      let deployment = await api.json<Deployment>('POST', deployPath(name, version), { json: body });
      // SageMaker builds the endpoint off the request path: poll it, as the API's 202 says.
      for (const deadline = Date.now() + options.timeout * 1000; options.wait && deployment.state === 'creating';) {
        if (Date.now() > deadline) throw new CliError(`${name} v${version} is still being deployed after ${options.timeout} s; see mlhub deploy ${name} --version ${version} --wait`);
        await new Promise((resolve) => setTimeout(resolve, 2000));
        deployment = await api.json<Deployment>('GET', deployPath(name, version));
      }
      if (deployment.state === 'failed') throw new CliError(`Deploying ${name} v${version} failed: ${deployment.reason ?? 'no reason given'}; run mlhub undeploy ${name} --version ${version}, fix it, and deploy again`);
      out.result(deployment, () => `${describeDeployment(deployment)}${deployment.state === 'creating' ? `; mlhub deploy ${name} --version ${version} --wait waits for it` : ''}`);
    });

  program.command('undeploy <name>')
    .description("tear down a version's SageMaker endpoint (owner only)")
    .option('-v, --version <n>', 'which version (default: the latest)', positiveInt)
    .action(async (name: string, options: { version?: number }, command: Command) => {
      const { api, out } = await context(command);
      const version = options.version ?? (await api.json<Model>('GET', modelPath(name))).latest_version;
      if (!version) throw new CliError(`${name} has no version to undeploy`);
      const deployment = await api.json<Deployment>('DELETE', deployPath(name, version));
      out.result(deployment, () => `Deleting the endpoint ${deployment.endpoint} of ${name} v${version}`);
    });

  program.command('cite <name>')
    .description('cite a model (its concept DOI once published) or one version: BibTeX by default, or another format or style')
    .option('-v, --version <n>', 'cite this version (its version DOI)', positiveInt)
    .option('-f, --format <format>', 'bibtex, biblatex, ris, csl-json, cff, datacite-json, codemeta, text or html')
    .option('-s, --style <style>', 'for text and html: apa, chicago, harvard, vancouver or ieee')
    .action(async (name: string, options: { version?: number; format?: string; style?: string }, command: Command) => {
      const { api, out } = await context(command);
      const query = new URLSearchParams({
        ...(options.version ? { version: String(options.version) } : {}),
        ...(options.format ? { format: options.format } : {}),
        ...(options.style ? { style: options.style } : {}),
      }).toString();
      const path = `${modelPath(name)}/cite${query ? `?${query}` : ''}`;
      const response = await api.request('GET', path);
      // Errors are JSON, as everywhere: read them the one way the client reads errors.
      if (!response.ok) await ApiClient.read(response, `GET ${path}`);
      const citation = await response.text();
      out.result({ model: name, ...(options.version ? { version: options.version } : {}), content_type: response.headers.get('content-type'), citation }, () => citation.trimEnd());
    });

  program.command('pull <name>')
    .description("download a version's bundle and check its sha256")
    .option('-v, --version <n>', 'which version (default: the latest)', positiveInt)
    .option('-o, --output <file>', 'where to write it (default: <name>-v<N>.tar.gz)')
    .action(async (name: string, options: { version?: number; output?: string }, command: Command) => {
      const { api, out } = await context(command);
      let bar: ReturnType<Output['progress']> | undefined;
      const result = await pullBundle(api, name, {
        ...(options.version ? { version: options.version } : {}),
        ...(options.output ? { output: options.output } : {}),
        onBytes: (done, total) => {
          bar ??= out.progress('downloading', total);
          bar.update(done);
        },
      });
      bar?.stop();
      out.result(result, () => `Saved ${name} v${result.version} to ${result.file} (${humanBytes(result.size)}, sha256 verified)`);
    });

  program.command('predict <name>')
    .description('run a prediction: a JSON input, a JSON file, or an image; or a whole dataset file (--dataset, --out) as a batch job')
    .option('-i, --input <json>', 'input as JSON: [1, 2, 3], [[...], [...]], or {"inputs": {...}}')
    .option('-d, --data <json>', 'the request body as curl -d sends it: {"input": [...]} (the same as --input)')
    .option('-f, --input-file <file>', 'a JSON file holding {"input": ...} or {"inputs": ...}')
    .option('--image <file>', 'a PNG or JPEG')
    .option('-v, --version <n>', 'which version (default: the latest)', positiveInt)
    .option('--dataset <file>', 'a whole file to predict as a batch job: CSV, TSV, JSON Lines (gzipped too), Parquet, NPY, or a .tar/.tar.gz of images; uploaded as a dataset (run again to resume)')
    .option('--dataset-id <id>', 'a dataset uploaded before (ds_…), instead of --dataset')
    .option('-o, --out <file>', 'with --dataset: where to write the predictions (its extension, .csv, .jsonl or .parquet, sets the format); failed rows go to <file>.errors.jsonl')
    .addOption(new Option('--format <format>', 'with --dataset: the results format, when --out does not end in one').choices(RESULT_FORMATS))
    .option('--columns <names>', 'with --dataset: the input columns in the order the model takes them (a,b,c), or named inputs as JSON (\'{"x": ["a", "b"]}\'); default: every column not kept')
    .option('--keep <names>', 'with --dataset: columns to write beside the predictions (id,name; path for an image archive)')
    .addOption(new Option('--on-error <mode>', 'with --dataset: fail (the default) fails the job at the first bad row; skip writes bad rows to the errors file and goes on').choices(['skip', 'fail']))
    .option('--tolerate <percent>', 'with --on-error skip: fail the job when more than this percentage of rows fail (default 100)', percent)
    .option('-p, --parallel <n>', 'with --dataset: upload parts sent at once', positiveInt, 4)
    .action(async (name: string, chosen: PredictOptions, command: Command) => {
      const { api, out } = await context(command);
      const batch = [chosen.dataset, chosen.datasetId].filter((value) => value !== undefined);
      const single = [chosen.input, chosen.data, chosen.inputFile, chosen.image].filter((value) => value !== undefined);
      if (batch.length > 0 || chosen.out !== undefined) {
        if (batch.length !== 1 || single.length > 0) throw new CliError('Give exactly one of --dataset or --dataset-id with --out, and none of --input, --input-file or --image');
        if (chosen.out === undefined) throw new CliError('Give --out <file> for the predictions (its extension, .csv, .jsonl or .parquet, sets the format)');
        await predictDataset(name, { ...chosen, out: chosen.out }, api, out);
        return;
      }
      if (single.length !== 1) throw new CliError('Give exactly one of --input, --input-file or --image (or --dataset with --out for a whole file)');
      const options = { ...chosen, input: chosen.input ?? chosen.data };
      const path = `${modelPath(name)}/predict${options.version ? `?version=${options.version}` : ''}`;
      let answer: { version?: number; predictions: { label?: string; probability?: number; output?: unknown }[] };
      // The latest version, when MLHub ran an earlier one because the latest is not in service (X-MLHub-Latest-Version).
      let latest: string | null = null;
      const send = async (request: Parameters<typeof api.request>[2]) => {
        const response = await api.request('POST', path, request);
        latest = response.headers.get('x-mlhub-latest-version');
        return ApiClient.read<typeof answer>(response, `POST ${path}`);
      };
      if (options.image) {
        const bytes = await readFile(options.image).catch(() => {
          throw new CliError(`${options.image} cannot be read`);
        });
        const type = bytes[0] === 0x89 ? 'image/png' : 'image/jpeg';
        answer = await send({ body: bytes, contentType: type });
      } else {
        let document: unknown;
        try {
          document = JSON.parse(options.input ?? await readFile(options.inputFile as string, 'utf8'));
        } catch (error) {
          if (error instanceof CliError) throw error;
          throw new CliError(options.input ? '--input must be JSON, e.g. --input \'[0.1, 0.2]\'' : `${options.inputFile} is not JSON`);
        }
        const body = Array.isArray(document) ? { input: document } : document;
        answer = await send({ json: body });
      }
      if (latest !== null) process.stderr.write(`Ran on ${name} v${answer.version}, the latest in service: v${latest}, the latest version, is not in service (mlhub deploy ${name} --version ${latest})\n`);
      out.result(answer, () => answer.predictions.map((prediction, row) =>
        prediction.label !== undefined ? `${row}: ${prediction.label} (${((prediction.probability ?? 0) * 100).toFixed(1)}%)` : `${row}: ${JSON.stringify(prediction.output ?? prediction)}`).join('\n'));
    });

  return program;
}

export async function main(argv: readonly string[]): Promise<number> {
  redactOutput();
  try {
    await buildProgram().parseAsync(argv as string[], { from: 'user' });
    return 0;
  } catch (error) {
    if (error instanceof CommanderError) return error.exitCode === 0 ? 0 : 2;
    const message = error instanceof CliError ? error.message : (error as Error)?.message ?? String(error);
    process.stderr.write(`mlhub: ${message}\n`);
    return error instanceof CliError ? error.exitCode : 1;
  }
}
