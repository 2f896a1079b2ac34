/**
 * A seeded corpus of synthetic models for the search benchmark and the search tests: the same
 * seed gives the same models. What makes it realistic enough to measure search on:
 * - words of titles, descriptions and keywords drawn from a Zipf vocabulary (exponent 1.07, as
 *   natural-language word frequencies run): a few words in half the models, most in a handful;
 *   the head of the vocabulary is ML's own (image, classification, transformer…);
 * - authors drawn Zipf-wise from a pool, most with a valid ORCID iD; owners likewise;
 * - licenses, frameworks, tasks and disciplines with skewed shares, some left unset;
 * - 5% private, each shared with 0–3 users; 15% published, a few more with a DOI;
 * - downloads and predictions heavy-tailed (Pareto, the continuous Zipf).
 */
import { MODEL_TYPES, type ModelType } from '../../functions/registry/model-type';
import type { SearchDocument } from '../../functions/search/search-engine';
import { randomSource } from '../../scripts/models/synthetic-digits';

export { randomSource };

/** The head of the vocabulary: the words model descriptions use most. */
const ML_WORDS = [
  'model', 'image', 'classification', 'network', 'neural', 'data', 'training', 'detection', 'learning', 'deep',
  'segmentation', 'transformer', 'language', 'prediction', 'regression', 'dataset', 'convolutional', 'accuracy', 'features', 'digit',
  'recognition', 'text', 'time', 'series', 'forecasting', 'medical', 'speech', 'audio', 'graph', 'embedding',
  'protein', 'climate', 'satellite', 'mnist', 'resnet', 'bert', 'cnn', 'lstm', 'attention', 'encoder',
  'decoder', 'generative', 'diffusion', 'anomaly', 'clustering', 'reinforcement', 'policy', 'tabular', 'gradient', 'boosting',
];
const SYLLABLES = ['ka', 'lo', 'mi', 'ne', 'ra', 'to', 'su', 'vi', 'pe', 'do', 'ga', 'li', 'mo', 'ta', 'ze', 'bri', 'chen', 'dor', 'fal', 'gri', 'hon', 'jas', 'kel', 'mar', 'nor', 'pol', 'quin', 'ros', 'sta', 'tur', 'vel', 'wen'];
const FIRST_NAMES = ['Ada', 'Alan', 'Grace', 'Emmy', 'Carl', 'Marie', 'Rosalind', 'John', 'Sofia', 'Wei', 'Yuki', 'Amina', 'Lars', 'Priya', 'Diego', 'Fatima', 'Noah', 'Olga', 'Kwame', 'Ines', 'Mateo', 'Hana', 'Ravi', 'Lea', 'Omar', 'Zoe', 'Ivan', 'Mei', 'Tariq', 'Elena'];
const LAST_NAMES = ['Lovelace', 'Turing', 'Hopper', 'Noether', 'Gauss', 'Curie', 'Franklin', 'Nash', 'Kovalevskaya', 'Zhang', 'Tanaka', 'Diallo', 'Nilsson', 'Sharma', 'Garcia', 'Haddad', 'Smith', 'Ivanova', 'Mensah', 'Silva', 'Rossi', 'Kim', 'Patel', 'Muller', 'Hassan', 'Dubois', 'Petrov', 'Wang', 'Aziz', 'Popescu'];
const LICENSES: readonly [string, number][] = [['MIT', 30], ['Apache-2.0', 25], ['CC-BY-4.0', 15], ['BSD-3-Clause', 8], ['GPL-3.0-only', 5], ['CC0-1.0', 4], ['CC-BY-SA-4.0', 3], ['MPL-2.0', 2]];
/** Per model type; XGBoost, added later, has none, so that the generated registry (and bench figures) stay as they were. */
const FRAMEWORK_SHARES: Readonly<Record<ModelType, number>> = { TensorFlow: 25, PyTorch: 35, Keras: 10, ScikitLearn: 15, XGBoost: 0, ONNX: 15 };
const TASKS = ['image-classification', 'object-detection', 'image-segmentation', 'text-classification', 'token-classification', 'translation', 'summarization', 'regression', 'time-series-forecasting', 'speech-recognition', 'anomaly-detection', 'clustering', 'reinforcement-learning', 'tabular-classification', 'question-answering'];
const DISCIPLINES = ['Computer Science', 'Medicine', 'Biology', 'Physics', 'Earth Sciences', 'Chemistry', 'Economics', 'Linguistics', 'Astronomy', 'Engineering', 'Neuroscience', 'Agriculture'];

/** Draws ranks 0…n-1 with probability ∝ 1 / (rank + 1)^exponent, by binary search over the cumulative weights. */
export function zipf(n: number, exponent: number, random: () => number): () => number {
  const cumulative = new Float64Array(n);
  let total = 0;
  for (let rank = 0; rank < n; rank += 1) cumulative[rank] = total += 1 / (rank + 1) ** exponent;
  return () => {
    const target = random() * total;
    let low = 0;
    let high = n - 1;
    while (low < high) {
      const middle = (low + high) >>> 1;
      if ((cumulative[middle] as number) < target) low = middle + 1;
      else high = middle;
    }
    return low;
  };
}

const pick = <T>(items: readonly T[], random: () => number): T => items[Math.floor(random() * items.length)] as T;

function weighted<T>(entries: readonly [T, number][], random: () => number): T {
  const total = entries.reduce((sum, [, weight]) => sum + weight, 0);
  let target = random() * total;
  for (const [value, weight] of entries) if ((target -= weight) < 0) return value;
  return (entries[entries.length - 1] as [T, number])[0];
}

/** An ORCID iD with a valid ISO 7064 MOD 11-2 check digit. */
function orcidOf(random: () => number): string {
  const digits = `000${String(Math.floor(random() * 1e12)).padStart(12, '0')}`;
  let total = 0;
  for (const digit of digits) total = (total + Number(digit)) * 2;
  const check = (12 - (total % 11)) % 11;
  const all = `${digits}${check === 10 ? 'X' : String(check)}`;
  return `${all.slice(0, 4)}-${all.slice(4, 8)}-${all.slice(8, 12)}-${all.slice(12)}`;
}

/** Pareto-distributed counts (shape 1.1): most models barely used, a few used enormously. */
const heavyTail = (random: () => number, scale: number): number => Math.floor(scale * ((1 - random()) ** (-1 / 1.1) - 1));

export interface SyntheticCorpus {
  readonly documents: SearchDocument[];
  /** The vocabulary, most frequent first: queries draw words from it. */
  readonly vocabulary: readonly string[];
  /** User ids that own models, and the grantees of private ones. */
  readonly users: readonly string[];
}

export interface CorpusOptions {
  readonly count: number;
  readonly seed: number;
  /** Distinct words (20 000 by default). */
  readonly vocabularySize?: number;
  /** Share of private models (0.05). */
  readonly privateShare?: number;
  /** Distinct owners (count / 20, at least 5). */
  readonly owners?: number;
}

/** `count` synthetic models from `seed`. Names are unique: `<word>-<word>-<n>` or `<word>_<n>`. */
export function syntheticCorpus(options: CorpusOptions): SyntheticCorpus {
  const random = randomSource(options.seed);
  const vocabularySize = options.vocabularySize ?? 20_000;
  const seen = new Set(ML_WORDS);
  const vocabulary = [...ML_WORDS];
  while (vocabulary.length < vocabularySize) {
    let word = '';
    const syllables = 2 + Math.floor(random() * 3);
    for (let index = 0; index < syllables; index += 1) word += pick(SYLLABLES, random);
    if (!seen.has(word)) {
      seen.add(word);
      vocabulary.push(word);
    }
  }
  const word = zipf(vocabulary.length, 1.07, random);
  const keywordRank = zipf(Math.min(2_000, vocabulary.length), 1.0, random);
  const authorPool = Array.from({ length: Math.max(10, Math.floor(options.count / 5)) }, (_, index) => ({
    name: `${pick(FIRST_NAMES, random)} ${pick(LAST_NAMES, random)} ${index}`,
    ...(random() < 0.7 ? { orcid: orcidOf(random) } : {}),
  }));
  const author = zipf(authorPool.length, 0.9, random);
  const users = Array.from({ length: Math.max(5, options.owners ?? Math.floor(options.count / 20)) }, (_, index) => `user-${index}`);
  const owner = zipf(users.length, 0.8, random);
  const task = zipf(TASKS.length, 1, random);
  const discipline = zipf(DISCIPLINES.length, 1, random);
  const privateShare = options.privateShare ?? 0.05;
  const words = (count: number) => Array.from({ length: count }, () => vocabulary[word()] as string);
  const start = Date.parse('2023-01-01T00:00:00.000Z');
  const span = Date.parse('2026-11-01T00:00:00.000Z') - start;

  const documents = Array.from({ length: options.count }, (_, index): SearchDocument => {
    const [first, second] = words(2) as [string, string];
    const name = random() < 0.7 ? `${first}-${second}-${index}` : `${first}_${index}`;
    const isPrivate = random() < privateShare;
    const published = !isPrivate && random() < 0.15;
    const createdMs = start + Math.floor(random() * span);
    const updatedMs = createdMs + Math.floor(random() * (start + span - createdMs));
    const keywords = [...new Set(Array.from({ length: Math.floor(random() * 7) }, () => vocabulary[keywordRank()] as string))];
    const authors = [...new Set(Array.from({ length: random() < 0.1 ? 0 : 1 + Math.floor(random() * 4) }, () => author()))].map((rank) => authorPool[rank] as { name: string; orcid?: string });
    const license = random() < 0.85 ? weighted(LICENSES, random) : undefined;
    const title = random() < 0.8 ? words(4 + Math.floor(random() * 5)).join(' ') : undefined;
    const description = random() < 0.85 ? words(12 + Math.floor(random() * 17)).join(' ') : undefined;
    const taskName = random() < 0.8 ? TASKS[task()] : undefined;
    const disciplineName = random() < 0.7 ? DISCIPLINES[discipline()] : undefined;
    const hasDoi = published || random() < 0.03;
    return {
      name,
      ...(title === undefined ? {} : { title }),
      ...(description === undefined ? {} : { description }),
      keywords,
      authors,
      ...(disciplineName === undefined ? {} : { discipline: disciplineName }),
      ...(taskName === undefined ? {} : { task: taskName }),
      ...(license === undefined ? {} : { license }),
      framework: weighted(MODEL_TYPES.map((type) => [type, FRAMEWORK_SHARES[type]]), random),
      owner: users[owner()] as string,
      visibility: isPrivate ? 'private' : 'public',
      grantees: isPrivate ? [...new Set(Array.from({ length: Math.floor(random() * 4) }, () => pick(users, random)))] : [],
      published,
      hasDoi,
      ...(hasDoi ? { conceptDoi: `10.80000/mlhub.${index}` } : {}),
      ...(published ? { doi: `10.80000/mlhub.${index}.v1` } : {}),
      latestVersion: 1 + Math.floor(random() * 3),
      createdAt: new Date(createdMs).toISOString(),
      updatedAt: new Date(updatedMs).toISOString(),
      downloads: heavyTail(random, 5),
      predictions: heavyTail(random, 20),
    };
  });
  return { documents, vocabulary, users };
}
