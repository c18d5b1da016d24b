// Owns how an HTTP query runs once Apollo has parsed and validated it. A query document that keeps arriving
// (the catalog page, a request's detail) is compiled once by graphql-jit into a JavaScript function that reads
// the same resolvers without graphql-js's per-field interpretation; its answers are graphql-js's answers (same
// data, same errors with message, path, locations and extensions). Everything else runs on graphql-js: a
// document seen for the first time (compiling costs more than one run), mutations (rare, and run one field
// after another), a request whose variables do not fit (graphql-js words those errors), and a document the
// compiler refuses.
import type { CompiledQuery } from 'graphql-jit';
import { GraphQLError, execute, getVariableValues, type DocumentNode, type ExecutionResult, type GraphQLSchema, type OperationDefinitionNode, type Source } from 'graphql';

export type Jit = Pick<typeof import('graphql-jit'), 'compileQuery' | 'isCompiledQuery'>;

export interface ExecutionRequest {
  document: DocumentNode;
  /** The operation Apollo resolved (undefined when the document has none by that name). */
  operation: OperationDefinitionNode | undefined;
  /** The operation name the client sent. */
  operationName: string | null | undefined;
  variables: Record<string, unknown> | undefined;
  contextValue: unknown;
}

interface Entry {
  uses: number;
  /** Set once compiled; `false` when the compiler refused the document (it stays on graphql-js). */
  compiled?: CompiledQuery | false;
}

export interface CompiledExecutionOptions {
  /** Compile a document on its n-th run (earlier runs are interpreted). */
  compileOn?: number;
  /** Where the compiler comes from (tests give another). */
  loadCompiler?: () => Promise<Jit>;
  /** Told once when the compiler cannot be loaded: every query then runs on graphql-js. */
  onCompilerUnavailable?: (error: unknown) => void;
}

export class CompiledExecution {
  readonly stats = { compiled: 0, compiledRuns: 0, interpretedRuns: 0 };
  /** Keyed by the parsed document: Apollo's document cache hands out the same object for the same query text. */
  private readonly entries = new WeakMap<DocumentNode, Map<string, Entry>>();
  private readonly compileOn: number;
  /**
   * graphql-jit and what it brings (fast-json-stringify, ajv, lodash.merge) took about a tenth of start-up on a
   * slow machine, for something no request needs before a document's second run: it is loaded when first
   * needed, or (`preload`) once the server listens. `null`: it could not be loaded.
   */
  private compiler: Promise<Jit | null> | undefined;

  constructor(
    private readonly schema: GraphQLSchema,
    private readonly options: CompiledExecutionOptions = {},
  ) {
    this.compileOn = options.compileOn ?? 2;
  }

  /** Loads the compiler now (in the background), so that no request waits for it. */
  preload(): void {
    void this.loadCompiler();
  }

  private loadCompiler(): Promise<Jit | null> {
    return (this.compiler ??= (this.options.loadCompiler ?? (() => import('graphql-jit')))().catch((error: unknown) => {
      this.options.onCompilerUnavailable?.(error);
      return null;
    }));
  }

  execute = async (request: ExecutionRequest): Promise<ExecutionResult> => {
    let compiled = request.operation?.operation === 'query' ? this.compiledFor(request) : undefined;
    if (compiled instanceof Promise) compiled = await compiled;
    // Variables are checked as graphql-js checks them (graphql-jit's own coercion lets some wrong shapes
    // through, such as a list for an input object); any problem goes to graphql-js, which reports it.
    if (compiled && this.variablesFit(request.operation!, request.variables)) {
      const result = (await compiled.query(undefined, request.contextValue, request.variables ?? {})) as ExecutionResult;
      // No data at all: the variables did not fit and nothing ran; graphql-js words those errors.
      if ('data' in result) {
        this.stats.compiledRuns += 1;
        return result.errors ? { ...result, errors: result.errors.map((e) => asGraphQLJsError(e, request.document.loc?.source)) } : result;
      }
    }
    this.stats.interpretedRuns += 1;
    return execute({
      schema: this.schema,
      document: request.document,
      operationName: request.operationName,
      variableValues: request.variables,
      contextValue: request.contextValue,
    });
  };

  private variablesFit(operation: OperationDefinitionNode, variables: Record<string, unknown> | undefined): boolean {
    if (!operation.variableDefinitions?.length) return true;
    return !('errors' in getVariableValues(this.schema, operation.variableDefinitions, variables ?? {}, { maxErrors: 1 }));
  }

  /** The compiled query once it is due (synchronous after the first compile; a promise only when compiling). */
  private compiledFor(request: ExecutionRequest): CompiledQuery | undefined | Promise<CompiledQuery | undefined> {
    let byName = this.entries.get(request.document);
    if (!byName) this.entries.set(request.document, (byName = new Map()));
    const name = request.operationName ?? '';
    let entry = byName.get(name);
    if (!entry) byName.set(name, (entry = { uses: 0 }));
    if (entry.compiled !== undefined) return entry.compiled || undefined;
    entry.uses += 1;
    if (entry.uses < this.compileOn) return undefined;
    return this.compile(entry, request);
  }

  private async compile(entry: Entry, request: ExecutionRequest): Promise<CompiledQuery | undefined> {
    const compiler = await this.loadCompiler();
    // Two requests may have waited for the compiler at once: the first one compiles.
    if (entry.compiled !== undefined) return entry.compiled || undefined;
    if (!compiler) {
      entry.compiled = false;
      return undefined;
    }
    const { compileQuery, isCompiledQuery } = compiler;
    let compiled: CompiledQuery | ExecutionResult | undefined;
    try {
      compiled = compileQuery(this.schema, request.document, request.operationName ?? undefined);
    } catch {
      compiled = undefined;
    }
    entry.compiled = compiled && isCompiledQuery(compiled) ? compiled : false;
    if (entry.compiled) this.stats.compiled += 1;
    return entry.compiled || undefined;
  }
}

/**
 * graphql-jit's errors carry `locations` and `path` but not the source positions graphql-js's errors are built
 * from, so Apollo's formatting would drop their locations. The same error as graphql-js would make it: a
 * GraphQLError a resolver threw keeps its extensions; the path and locations are where it happened.
 */
function asGraphQLJsError(error: GraphQLError, source: Source | undefined): GraphQLError {
  const original = error.originalError ?? undefined;
  const positions = source && error.locations?.map((l) => offsetOf(source, l.line, l.column));
  return new GraphQLError(error.message, {
    source: positions ? source : undefined,
    positions,
    path: error.path,
    originalError: original,
    extensions: original ? undefined : error.extensions,
  });
}

const lineStarts = new WeakMap<Source, number[]>();

/** The character offset of a 1-based line and column in `source`. */
function offsetOf(source: Source, line: number, column: number): number {
  let starts = lineStarts.get(source);
  if (!starts) {
    starts = [0];
    const body = source.body;
    for (let i = 0; i < body.length; i++) {
      const c = body.charCodeAt(i);
      // graphql-js counts \r\n, \n and \r each as one line break.
      if (c === 10 || (c === 13 && body.charCodeAt(i + 1) !== 10)) starts.push(i + 1);
    }
    lineStarts.set(source, starts);
  }
  return (starts[line - 1] ?? 0) + column - 1;
}
