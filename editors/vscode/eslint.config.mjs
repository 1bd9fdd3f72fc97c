// ESLint for the extension: typescript-eslint's type-checked recommended
// rules on src/ and test/ (npm test runs it first, so a finding fails the
// build). What is tuned here, and why, is said next to it.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  // Generated or installed code, and the plain-JS build and e2e scripts
  // (they run under node directly and have no type information).
  { ignores: ['dist/**', 'out/**', 'bin/**', 'node_modules/**', 'e2e/**', 'scripts/**', 'eslint.config.mjs'] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    files: ['src/**/*.ts', 'test/**/*.ts'],
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
  },
  {
    files: ['test/**/*.ts'],
    rules: {
      // node:test runs and awaits what test() and describe() return.
      '@typescript-eslint/no-floating-promises': [
        'error',
        { allowForKnownSafeCalls: [{ from: 'package', package: 'node:test', name: ['test', 'describe', 'it'] }] },
      ],
      // The tests load the modules under test with require() after the
      // vscode stub is installed: the order is the point (test/vscodeStub.ts).
      '@typescript-eslint/no-require-imports': 'off',
      // Stubs and fakes stand in for async APIs without awaiting anything.
      '@typescript-eslint/require-await': 'off',
    },
  },
);
