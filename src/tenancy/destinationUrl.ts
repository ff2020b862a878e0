import { ValidationError } from '../errors';
import { checkEndpointUrl } from '../net/addressPolicy';

/** Creation-time URL rule for anything Switchboard will POST to (delivery re-checks after DNS). */
export function assertDestinationUrl(field: string, url: string, allowPrivateNetwork: boolean): string {
  const check = checkEndpointUrl(url, allowPrivateNetwork);
  if (!check.ok) throw new ValidationError(`invalid ${field}: ${check.reason}`, [{ field, message: check.reason }]);
  return url;
}
