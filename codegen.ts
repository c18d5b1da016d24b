// Types the GraphQL operations the tests send (test/operations/*.graphql) from the committed schema.
// Run `npm run codegen` after changing schema.graphql or an operation.
import type { CodegenConfig } from '@graphql-codegen/cli';

const config: CodegenConfig = {
  schema: 'schema.graphql',
  documents: 'test/operations/*.graphql',
  generates: {
    'test/generated/graphql.ts': {
      // typescript-operations 6 emits the schema types it needs itself; adding 'typescript' would declare them twice.
      plugins: ['typescript-operations', 'typed-document-node'],
      config: {
        scalars: { DateTime: 'string', Decimal: 'string' },
        enumsAsTypes: true,
        useTypeImports: true,
        avoidOptionals: { field: true, inputValue: false, object: true },
      },
    },
  },
  hooks: { afterAllFileWrite: [] },
};

export default config;
