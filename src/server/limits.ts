// Owns the abuse limits every operation passes before it runs, on HTTP and WebSocket alike:
// tokens (graphql-js's parser limit), depth, aliases and directives (graphql-armor's validation rules),
// a cost that multiplies by list sizes, caps on strings and lists in the input, and no NUL characters
// (PostgreSQL cannot store them).
import { maxAliasesRule } from '@escape.tech/graphql-armor-max-aliases';
import { maxDepthRule } from '@escape.tech/graphql-armor-max-depth';
import { maxDirectivesRule } from '@escape.tech/graphql-armor-max-directives';
import type { ApolloServerPlugin, BaseContext } from '@apollo/server';
import {
  GraphQLError,
  Kind,
  getNamedType,
  getNullableType,
  isListType,
  isObjectType,
  isInterfaceType,
  type DocumentNode,
  type FragmentDefinitionNode,
  type GraphQLField,
  type GraphQLObjectType,
  type GraphQLSchema,
  type OperationDefinitionNode,
  type ParseOptions,
  type SelectionSetNode,
  type ValidationContext,
  type ValidationRule,
  type ValueNode,
} from 'graphql';
import { DEFAULT_PAGE_SIZE } from '../graphql/connection.js';
import { MAX_IMPORT_BYTES } from '../modules/designs/design-import.service.js';

import type { Limits } from './limits-defaults.js';

export type { Limits };

/** Lists without a `first` argument are bounded by the domain; their cost assumes this many entries. */
const ASSUMED_LIST_SIZE = 20;

const limitError = (message: string) =>
  new GraphQLError(message, { extensions: { code: 'TOO_COMPLEX', http: { status: 400 } } });

const inputError = (message: string) =>
  new GraphQLError(message, { extensions: { code: 'BAD_USER_INPUT', http: { status: 400 } } });

/**
 * The parser stops at the token limit, before building a tree. Apollo applies it as `parseOptions`, so a
 * long query is an ordinary 400 GRAPHQL_PARSE_FAILED. (armor's Apollo plugin for tokens parsed a second time
 * and threw from a hook, which made every syntax error a 500.)
 */
export function parseOptions(limits: Limits): ParseOptions {
  return { maxTokens: limits.maxTokens };
}

/**
 * Depth, aliases and directives, as validation rules. A rejection is reported as a validation error: armor's
 * default throws from inside `validate`, which Apollo survives but graphql-ws answers by closing the socket (4500).
 */
export function limitRules(limits: Limits): ValidationRule[] {
  const report = (context: ValidationContext | null, error: GraphQLError) =>
    context?.reportError(new GraphQLError(error.message.replace(/^Syntax Error: /, '')));
  const reject = { exposeLimits: true, propagateOnRejection: false, onReject: [report] };
  return [
    maxDepthRule({ n: limits.maxDepth, ignoreIntrospection: true, flattenFragments: true, ...reject }),
    maxAliasesRule({ n: limits.maxAliases, ...reject }),
    maxDirectivesRule({ n: limits.maxDirectives, ...reject }),
  ];
}

/** The per-operation checks below, for Apollo Server, once the operation is known and before it runs. */
export function operationLimitsPlugin<TContext extends BaseContext>(schema: GraphQLSchema, limits: Limits): ApolloServerPlugin<TContext> {
  return {
    async requestDidStart() {
      return {
        async didResolveOperation({ document, operationName, request }) {
          const error = checkOperation(schema, document, operationName ?? undefined, request.variables ?? {}, request.query, limits);
          if (error) throw error;
        },
      };
    },
  };
}

export function checkOperation(
  schema: GraphQLSchema,
  document: DocumentNode,
  operationName: string | undefined,
  variables: Record<string, unknown>,
  query: string | undefined,
  limits: Limits,
): GraphQLError | null {
  if (query && (query.includes('\u0000') || /\\u0000/i.test(query))) return nulError();
  const operation = document.definitions.find(
    (d): d is OperationDefinitionNode => d.kind === Kind.OPERATION_DEFINITION && (!operationName || d.name?.value === operationName),
  );
  if (!operation) return null;
  const inputProblem = checkVariables(operation, variables, limits) ?? literalProblem(document, limits);
  if (inputProblem) return inputProblem;
  const cost = operationCost(schema, document, operation, variables);
  if (cost > limits.maxCost) {
    return limitError(`This query would cost ${Math.round(cost)}, over the limit of ${limits.maxCost}. Ask for fewer items (first) or fewer nested lists.`);
  }
  return null;
}

// The literal checks and, when no variable sets a list size, the cost depend on the document alone. Apollo
// hands out the same parsed document for the same query text, so a query that keeps arriving (the catalog
// page) is walked once, not on every request.
const literalProblems = new WeakMap<Limits, WeakMap<DocumentNode, GraphQLError | null>>();
const fixedCosts = new WeakMap<GraphQLSchema, WeakMap<OperationDefinitionNode, number>>();

function literalProblem(document: DocumentNode, limits: Limits): GraphQLError | null {
  let byDocument = literalProblems.get(limits);
  if (!byDocument) literalProblems.set(limits, (byDocument = new WeakMap()));
  let problem = byDocument.get(document);
  if (problem === undefined) byDocument.set(document, (problem = checkLiterals(document, limits)));
  // A fresh error for every request: the response pipeline may add to an error's extensions.
  return problem && new GraphQLError(problem.message, { extensions: { ...problem.extensions } });
}

function operationCost(schema: GraphQLSchema, document: DocumentNode, operation: OperationDefinitionNode, variables: Record<string, unknown>): number {
  let bySchema = fixedCosts.get(schema);
  if (!bySchema) fixedCosts.set(schema, (bySchema = new WeakMap()));
  const known = bySchema.get(operation);
  if (known !== undefined) return known;
  const root = schema.getRootType(operation.operation);
  if (!root) return 0;
  const fragments = new Map(
    document.definitions.filter((d): d is FragmentDefinitionNode => d.kind === Kind.FRAGMENT_DEFINITION).map((f) => [f.name.value, f]),
  );
  const defaults = new Map((operation.variableDefinitions ?? []).flatMap((d) => (d.defaultValue ? [[d.variable.name.value, d.defaultValue] as const] : [])));
  const reads: VariableReads = { variables, defaults, used: false };
  const cost = selectionCost(schema, root, operation.selectionSet, fragments, reads, new Set());
  if (!reads.used) bySchema.set(operation, cost);
  return cost;
}

/** The variables a cost is computed with; `used` is set once one of them decided a list size. */
interface VariableReads {
  variables: Record<string, unknown>;
  /** Declared defaults (`$first: Int = 100`), which apply when a variable is not sent. */
  defaults: Map<string, ValueNode>;
  used: boolean;
}

const nulError = () => inputError('Text cannot contain the NUL character (U+0000).');

/** Every field costs 1; a field's selection counts once per item it can return (`first`, or an assumed size). */
function selectionCost(
  schema: GraphQLSchema,
  parent: GraphQLObjectType,
  selectionSet: SelectionSetNode,
  fragments: Map<string, FragmentDefinitionNode>,
  variables: VariableReads,
  seenFragments: Set<string>,
): number {
  let total = 0;
  for (const selection of selectionSet.selections) {
    if (selection.kind === Kind.FIELD) {
      if (selection.name.value.startsWith('__')) continue;
      const field: GraphQLField<unknown, unknown> | undefined = parent.getFields()[selection.name.value];
      if (!field) continue;
      total += 1;
      if (!selection.selectionSet) continue;
      const named = getNamedType(field.type);
      if (!isObjectType(named) && !isInterfaceType(named)) continue;
      const target = isObjectType(named) ? named : (schema.getPossibleTypes(named)[0] as GraphQLObjectType | undefined);
      if (!target) continue;
      const inner = selectionCost(schema, target, selection.selectionSet, fragments, variables, seenFragments);
      // A connection's `first` already counts its edges; the edges list itself does not multiply again.
      const isEdges = parent.name.endsWith('Connection') && field.name === 'edges';
      total += (isEdges ? 1 : multiplier(field, selection.arguments ?? [], variables)) * inner;
    } else if (selection.kind === Kind.INLINE_FRAGMENT) {
      total += selectionCost(schema, parent, selection.selectionSet, fragments, variables, seenFragments);
    } else {
      const fragment = fragments.get(selection.name.value);
      if (!fragment || seenFragments.has(fragment.name.value)) continue;
      total += selectionCost(schema, parent, fragment.selectionSet, fragments, variables, new Set([...seenFragments, fragment.name.value]));
    }
  }
  return total;
}

function multiplier(field: GraphQLField<unknown, unknown>, args: readonly { name: { value: string }; value: ValueNode }[], variables: VariableReads): number {
  if (field.args.some((a) => a.name === 'first')) {
    const arg = args.find((a) => a.name.value === 'first');
    const value = arg ? valueOf(arg.value, variables) : undefined;
    return typeof value === 'number' && value > 0 ? value : DEFAULT_PAGE_SIZE;
  }
  return isListType(getNullableType(field.type)) ? ASSUMED_LIST_SIZE : 1;
}

function valueOf(node: ValueNode, variables: VariableReads): unknown {
  if (node.kind === Kind.VARIABLE) {
    variables.used = true;
    const name = node.name.value;
    if (name in variables.variables) return variables.variables[name];
    const fallback = variables.defaults.get(name);
    return fallback ? valueOf(fallback, variables) : undefined;
  }
  if (node.kind === Kind.INT) return Number(node.value);
  return undefined;
}

/** Caps strings and lists in variables; a CSV import's `content` may be as large as an import allows. */
function checkVariables(operation: OperationDefinitionNode, variables: Record<string, unknown>, limits: Limits): GraphQLError | null {
  for (const definition of operation.variableDefinitions ?? []) {
    const name = definition.variable.name.value;
    let type = definition.type;
    while (type.kind !== Kind.NAMED_TYPE) type = type.type;
    const isImport = type.name.value === 'ImportDesignsInput';
    const problem = walk(variables[name], [name], (path, value) => {
      if (typeof value === 'string') {
        if (value.includes('\u0000')) return nulError();
        const max = isImport && path[path.length - 1] === 'content' ? MAX_IMPORT_BYTES : limits.maxStringLength;
        if (value.length > max) return inputError(`$${path.join('.')} is longer than ${max} characters.`);
      }
      if (Array.isArray(value) && value.length > limits.maxListLength) {
        return inputError(`$${path.join('.')} has more than ${limits.maxListLength} entries.`);
      }
      return null;
    });
    if (problem) return problem;
  }
  return null;
}

function checkLiterals(document: DocumentNode, limits: Limits): GraphQLError | null {
  let problem: GraphQLError | null = null;
  const visitValue = (node: ValueNode): void => {
    if (problem) return;
    if (node.kind === Kind.STRING && node.value.length > limits.maxStringLength) {
      problem = inputError(`A string in the query is longer than ${limits.maxStringLength} characters; send large text as a variable.`);
    } else if (node.kind === Kind.LIST) {
      if (node.values.length > limits.maxListLength) problem = inputError(`A list in the query has more than ${limits.maxListLength} entries.`);
      node.values.forEach(visitValue);
    } else if (node.kind === Kind.OBJECT) node.fields.forEach((f) => visitValue(f.value));
  };
  const visitSelections = (set: SelectionSetNode | undefined): void => {
    for (const selection of set?.selections ?? []) {
      if (selection.kind === Kind.FIELD) selection.arguments?.forEach((a) => visitValue(a.value));
      if ('selectionSet' in selection) visitSelections(selection.selectionSet);
    }
  };
  for (const definition of document.definitions) {
    if ('selectionSet' in definition) visitSelections(definition.selectionSet);
  }
  return problem;
}

/**
 * The deepest input the schema takes is `$input.items.0.options.0.name`. A variable nested far deeper (a few
 * kilobytes of `[[[[...`) is refused here rather than overflowing the stack of this walk (a 500, or a WebSocket
 * closed with 4500).
 */
const MAX_INPUT_NESTING = 20;

function walk(value: unknown, path: string[], check: (path: string[], value: unknown) => GraphQLError | null): GraphQLError | null {
  if (path.length > MAX_INPUT_NESTING) return inputError(`$${path[0]} is nested more than ${MAX_INPUT_NESTING} levels deep.`);
  const problem = check(path, value);
  if (problem) return problem;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const inner = walk(value[i], [...path, String(i)], check);
      if (inner) return inner;
    }
  } else if (value && typeof value === 'object') {
    for (const [key, inner] of Object.entries(value)) {
      const found = walk(inner, [...path, key], check);
      if (found) return found;
    }
  }
  return null;
}
