import { baseConfig } from '../shared/eslint.base.js';

export default [...baseConfig(new URL('..', import.meta.url).pathname)];
