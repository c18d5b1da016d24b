// Owns look-ahead: which fields an operation asks for below the current field, so that a list query reads
// only the columns (and joins only the relations) its caller will see.
import { Kind, type FieldNode, type GraphQLResolveInfo, type SelectionSetNode } from 'graphql';

/**
 * The names of the fields selected at `path` below the current field (`['edges', 'node']` for a connection's
 * nodes), through fragments and inline fragments. Directives are ignored: a field under `@skip` still counts,
 * so the answer can only be a superset of what is resolved.
 */
export function selectedFields(info: GraphQLResolveInfo, path: string[]): ReadonlySet<string> {
  // The answer depends only on the document: for a field that appears once, remember it with its node (the
  // parsed document is cached across requests, so the catalog page computes this once).
  if (info.fieldNodes.length !== 1) return collect(info, path);
  let byPath = memo.get(info.fieldNodes[0]);
  if (!byPath) memo.set(info.fieldNodes[0], (byPath = new Map()));
  const key = path.join('.');
  let fields = byPath.get(key);
  if (!fields) byPath.set(key, (fields = collect(info, path)));
  return fields;
}

const memo = new WeakMap<FieldNode, Map<string, ReadonlySet<string>>>();

function collect(info: GraphQLResolveInfo, path: string[]): ReadonlySet<string> {
  let sets: SelectionSetNode[] = info.fieldNodes.flatMap((node) => (node.selectionSet ? [node.selectionSet] : []));
  for (const name of path) {
    sets = fieldsOf(info, sets)
      .filter((field) => field.name.value === name)
      .flatMap((field) => (field.selectionSet ? [field.selectionSet] : []));
  }
  return new Set(fieldsOf(info, sets).map((field) => field.name.value));
}

function fieldsOf(info: GraphQLResolveInfo, sets: SelectionSetNode[], seen = new Set<string>()): FieldNode[] {
  const out: FieldNode[] = [];
  for (const set of sets) {
    for (const selection of set.selections) {
      if (selection.kind === Kind.FIELD) out.push(selection);
      else if (selection.kind === Kind.INLINE_FRAGMENT) out.push(...fieldsOf(info, [selection.selectionSet], seen));
      else if (!seen.has(selection.name.value)) {
        seen.add(selection.name.value);
        const fragment = info.fragments[selection.name.value];
        if (fragment) out.push(...fieldsOf(info, [fragment.selectionSet], seen));
      }
    }
  }
  return out;
}
