/** The package version (one definition, shared with the worker that reports it). */
export { PACKAGE_VERSION as VERSION } from '../worker/package-version.js';
