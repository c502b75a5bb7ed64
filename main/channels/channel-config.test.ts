/**
 * Channel misconfigurations are config errors like any other: file, line, column and a reason
 * that says what to write instead, never echoing a secret.
 */
import { describe, expect, it } from 'vitest';
import { ConfigError, parseConfigText } from '../config/config-file';

function problems(text: string): string {
  try {
    parseConfigText(text, 'config.json');
  } catch (error) {
    if (error instanceof ConfigError) return error.message;
    throw error;
  }
  throw new Error('the config was accepted');
}

const master =
  '{ "id": "nas", "label": "NAS", "host": "127.0.0.1", "ups": [{ "name": "ups", "password": { "source": "none" } }] }';

describe('alert channel config errors', () => {
  it('names the line of a channel routed to an unknown UPS, a duplicate id, a bad URL and a bad quiet-hours time', () => {
    const text = [
      '{',
      `  "masters": [${master}],`,
      '  "alerts": { "channels": [',
      '    { "id": "a", "type": "webhook", "url": "http://127.0.0.1:9/", "ups": ["nas/nope"] },',
      '    { "id": "a", "type": "ntfy", "url": "ftp://ntfy.example", "topic": "t" },',
      '    { "id": "b", "type": "gotify", "url": "https://g.example", "quietHours": { "from": "25:00", "to": "07:00" } }',
      '  ] }',
      '}',
    ].join('\n');
    const message = problems(text);
    expect(message).toMatch(
      /config\.json:4:\d+: alerts\.channels\[0\]\.ups\[0\]: no monitored UPS "nas\/nope": use "\*" or MASTER-ID\/UPS-NAME of an entry under masters \(nas\/ups\)/,
    );
    expect(message).toMatch(
      /config\.json:5:\d+: alerts\.channels\[1\]\.id: a second channel is called "a": ids must be unique/,
    );
    expect(message).toMatch(
      /config\.json:5:\d+: alerts\.channels\[1\]\.url: the URL must start with http:\/\/ or https:\/\//,
    );
    expect(message).toMatch(
      /config\.json:6:\d+: alerts\.channels\[2\]\.quietHours\.from: a time is HH:MM \(24 h\)/,
    );
  });

  it('refuses a token or password written into the file, without repeating it', () => {
    const message = problems(
      `{ "alerts": { "channels": [\n  { "id": "m", "type": "mqtt", "url": "mqtt://127.0.0.1", "password": "hunter2-mqtt" }\n] } }`,
    );
    expect(message).toMatch(
      /config\.json:2:\d+: alerts\.channels\[0\]\.password: a password or token must not be written into the config file/,
    );
    expect(message).not.toContain('hunter2-mqtt');
    const header = problems(
      `{ "alerts": { "channels": [\n  { "id": "w", "type": "webhook", "url": "http://127.0.0.1:9/", "headers": { "Authorization": "Bearer abc" } }\n] } }`,
    );
    expect(header).toMatch(
      /alerts\.channels\[0\]\.headers: put credentials in `authorization` \(a secret source\), not in headers/,
    );
  });
});
