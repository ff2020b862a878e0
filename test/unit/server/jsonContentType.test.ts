import { isJsonContentType } from '../../../src/server/body/jsonContentType';

describe('isJsonContentType: JSON in UTF-8, nothing else', () => {
  it.each([
    'application/json',
    'Application/JSON',
    'application/json; charset=utf-8',
    'application/json;charset=UTF-8',
    'application/json; charset="utf-8"',
    'application/json; charset=utf8',
    'application/cloudevents+json',
    'application/vnd.acme.event+json; charset=utf-8',
    'application/json; boundary=ignored',
  ])('accepts %s', (header) => {
    expect(isJsonContentType(header)).toBe(true);
  });

  it.each([
    undefined,
    '',
    'text/plain',
    'text/json',
    'application/xml',
    'application/x-www-form-urlencoded',
    'multipart/form-data; boundary=x',
    'application/octet-stream',
    'application/json; charset=utf-16',
    'application/json; charset=latin1',
    'application/jsonp',
    'application/json-seq',
    '+json',
  ])('refuses %s', (header) => {
    expect(isJsonContentType(header)).toBe(false);
  });
});
