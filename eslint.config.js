// ESLint 10 + typescript-eslint 8, flat config: the recommended and type-checked rules, which find
// real bugs, and a few more of the same kind. A rule turned off says why, in one line.
//
// Left out on purpose: @typescript-eslint/no-unnecessary-condition. On 2026-11-27 it reported 38
// conditions and no bug: nearly all are null checks on tree-sitter nodes, DOM values and parsed JSON
// whose declared types are narrower than what arrives at run time, plus one false positive where a
// called method changes the state it narrowed (src/sim/interp.ts). Enforcing it would remove guards.
import { defineConfig } from 'eslint/config';
import js from '@eslint/js';
import globals from 'globals';
import tseslint from 'typescript-eslint';

export default defineConfig(
  { ignores: ['dist/', 'node_modules/', 'out/', 'test-artifacts/', 'bench/results/', 'test/__golden__/'] },
  js.configs.recommended,
  tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      globals: { ...globals.node },
      parserOptions: {
        projectService: { allowDefaultProject: ['vitest.config.ts'] },
        tsconfigRootDir: import.meta.dirname,
      },
    },
    linterOptions: { reportUnusedDisableDirectives: 'error' },
    rules: {
      'no-template-curly-in-string': 'error',
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      // A switch with a default: is partial on purpose (most switch over a few event types).
      '@typescript-eslint/switch-exhaustiveness-check': ['error', { considerDefaultExhaustiveForUnions: true }],
      // Cheap checks for plain mistakes (none fire today).
      'array-callback-return': 'error',
      eqeqeq: ['error', 'smart'],
      'no-promise-executor-return': 'error',
      'no-self-compare': 'error',
      'no-unmodified-loop-condition': 'error',
      'no-unreachable-loop': 'error',
      // tsc's noUnusedLocals and noUnusedParameters already report these (and allow _name).
      '@typescript-eslint/no-unused-vars': 'off',
      // CLI commands share an async signature; not every one of them awaits.
      '@typescript-eslint/require-await': 'off',
      // Its two hits print JSON fields typed unknown; restrict-template-expressions still guards templates.
      '@typescript-eslint/no-base-to-string': 'off',
      // The scenario parser and compiler unwind with cheap sentinels (no stack trace), not Errors.
      '@typescript-eslint/only-throw-error': [
        'error',
        {
          allow: [
            { from: 'file', name: ['TooMany', 'Abort'], path: 'src/scenario/parse.ts' },
            { from: 'file', name: 'TooMany', path: 'src/scenario/compile.ts' },
          ],
        },
      ],
    },
  },
  {
    files: ['test/**'],
    rules: {
      // Tests JSON.parse the CLI's output (any) and let expect() check its shape.
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
    },
  },
  {
    files: ['viewer/**'],
    languageOptions: { globals: { ...globals.browser } },
  },
  {
    files: ['**/*.js', '**/*.mjs'],
    extends: [tseslint.configs.disableTypeChecked],
  },
);
