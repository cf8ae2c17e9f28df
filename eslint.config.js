// One lint setup for the whole monorepo (typescript-eslint, syntax-level rules; types are checked by tsc).
import js from '@eslint/js'
import globals from 'globals'
import tseslint from 'typescript-eslint'

export default tseslint.config(
  { ignores: ['**/node_modules/**', '**/dist/**', '.fedlake/**', '**/.scratch/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { ...globals.node }, ecmaVersion: 2023, sourceType: 'module' },
    rules: {
      '@typescript-eslint/consistent-type-imports': ['error', { prefer: 'type-imports', fixStyle: 'separate-type-imports' }],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' }],
      '@typescript-eslint/no-explicit-any': 'error',
      'no-console': 'error',
      'max-depth': ['error', 5],
      eqeqeq: ['error', 'always'],
      'prefer-const': 'error'
    }
  },
  {
    // CommonJS on purpose (see the file): it must run before libuv's thread pool starts
    files: ['packages/cli/bin/fedlake.js'],
    languageOptions: { sourceType: 'commonjs' },
    rules: { '@typescript-eslint/no-require-imports': 'off' }
  },
  {
    files: ['packages/cli/**', 'bench/**', 'scripts/**', 'test/**', 'packages/*/test/**'],
    rules: { 'no-console': 'off' }
  }
)
