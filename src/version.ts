import pkg from '../package.json';

/** The release version, shown in the User-Agent of deliveries, /healthz and the OpenAPI document. */
export const VERSION: string = pkg.version;
