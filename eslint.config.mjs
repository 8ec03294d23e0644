import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'src/telemetry/generated/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  {
    // src/ops holds pure kernels and operators: no I/O, no native image library, no network.
    files: ['src/ops/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { paths: ['sharp', 'fs', 'node:fs', 'fs/promises', 'node:fs/promises', '@grpc/grpc-js'] }],
    },
  },
);
