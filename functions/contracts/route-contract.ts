import type * as z from 'zod/mini';
import type { ErrorCode } from '../errors/error-catalogue';
import type { RouteId } from '../routes/route-table';

/** An object schema of named string values: path parameters, query parameters or headers. */
export type ParameterSchema = z.ZodMiniObject;

/** One answer a route may give, by status. */
export interface ResponseContract {
  readonly description: string;
  /**
   * The JSON body's schema; absent for a body that is not JSON (`contentType` says what it is).
   * With `contentType` too, the status has both forms: JSON when the caller asks for it.
   */
  readonly body?: z.ZodMiniType;
  /**
   * A body that is not JSON, such as `application/gzip`; or the media types it may come in, the
   * request choosing one (a citation's format), each with its parameters as answered.
   */
  readonly contentType?: string | readonly string[];
  /** Response headers worth documenting, by lowercase name. */
  readonly headers?: Readonly<Record<string, string>>;
}

/**
 * What a route takes and gives (OpenAPI 3.1's operation, in zod): its path, query and header
 * parameters and JSON body, each validated by routeHandler before the handler runs, so the
 * handler and the domain get typed values; every success status with its body; and the error
 * codes (error-catalogue.ts) it may answer with. The OpenAPI document is generated from these
 * (scripts/openapi.ts), and the integration tests hold every real answer to them.
 */
export interface RouteContract {
  readonly route: RouteId;
  readonly params?: ParameterSchema;
  readonly query?: ParameterSchema;
  readonly headers?: ParameterSchema;
  /** JSON routes: the body's schema. Bundle and prediction bodies are described by `requestBody`. */
  readonly body?: z.ZodMiniType;
  /**
   * The media types a route accepts beside its JSON `body` (createModel's seed form) or instead of
   * one (bundles, prediction input), with what each is: for the OpenAPI document.
   */
  readonly requestBody?: {
    readonly description: string;
    readonly mediaTypes: readonly string[];
    readonly required: boolean;
    /** The multipart/form-data field that carries the file (`image`, `file`). */
    readonly formField?: string;
  };
  /**
   * Requests that anonymous callers may also send, on a route that otherwise needs a signed-in
   * caller (the seed's image form on POST /model/{name}): the OpenAPI document lists anonymous
   * access beside the bearer requirement, and says which.
   */
  readonly alsoAnonymous?: string;
  /** A JSON route whose body may be left out: an empty body is read as `{}` (POST …/deploy, whose settings all have defaults). */
  readonly optionalBody?: boolean;
  readonly responses: Readonly<Record<number, ResponseContract>>;
  readonly errors: readonly ErrorCode[];
  /**
   * Errors answered as a page instead of JSON when the caller asked for `contentType` (a withdrawn
   * record's tombstone page to a browser): the codes, of `errors`, and what the page is.
   */
  readonly errorPages?: { readonly codes: readonly ErrorCode[]; readonly contentType: string; readonly description: string };
}

/** Keeps a contract's literal types (so handlers see the parsed shapes) while checking it is one. */
export const contract = <const C extends RouteContract>(definition: C): C => definition;

type Parsed<S> = S extends z.ZodMiniType ? z.output<S> : Readonly<Record<string, string | undefined>>;

/** What a handler gets from a request once its contract has validated it. */
export interface ValidatedInput<C extends RouteContract> {
  readonly params: Parsed<C['params']>;
  readonly query: Parsed<C['query']>;
  readonly body: C['body'] extends z.ZodMiniType ? z.output<C['body']> : unknown;
}
