import { describe, expect, it } from 'vitest';
import { niceMax } from './charts';
import { csv, csvField } from './csv';
import { age, span } from './format';

describe('csv (RFC 4180)', () => {
  it('quotes only fields holding a comma, a quote, CR or LF, doubling the quotes', () => {
    expect(csvField('plain')).toBe('plain');
    expect(csvField('a,b')).toBe('"a,b"');
    expect(csvField('say "hi"')).toBe('"say ""hi"""');
    expect(csvField('two\nlines')).toBe('"two\nlines"');
    expect(csvField('cr\rhere')).toBe('"cr\rhere"');
    expect(csvField(1500)).toBe('1500');
    expect(csvField(0.3333)).toBe('0.3333');
    expect(csvField(false)).toBe('false');
    expect(csvField(null)).toBe('');
    expect(csvField(undefined)).toBe('');
  });

  it('defuses text a spreadsheet would run as a formula, never numbers', () => {
    expect(csvField('=HYPERLINK("http://x")')).toBe('"\'=HYPERLINK(""http://x"")"');
    for (const s of ['+1', '-1', '@SUM(A1)', '\tx']) expect(csvField(s)).toBe(`'${s}`);
    expect(csvField(-1)).toBe('-1');
  });

  it('ends every record with CRLF', () => {
    expect(
      csv([
        ['a', 'b'],
        [1, 'x,y'],
      ]),
    ).toBe('a,b\r\n1,"x,y"\r\n');
  });
});

describe('chart and format helpers', () => {
  it('rounds the axis top up to a round number', () => {
    expect([0, 1, 7, 12, 47, 300, 301, 1001, 0.4].map(niceMax)).toEqual([
      1, 1, 8, 12, 50, 300, 400, 1200, 1,
    ]);
  });

  it('writes spans and ages for people', () => {
    expect(
      [500, 1500, 42_000, 5 * 60_000, 3 * 3_600_000 + 600_000, 50 * 3_600_000].map(span),
    ).toEqual(['500 ms', '1.5 s', '42 s', '5 min', '3 h 10 min', '2 d 2 h']);
    const now = Date.parse('2024-05-01T12:00:00.000Z');
    expect(age('2024-05-01T11:55:00.000Z', now)).toBe('5 min ago');
    expect(age('2024-05-01T12:00:02.000Z', now)).toBe('just now');
    expect(age('2024-05-01T13:00:00.000Z', now)).toBe('in 1 h');
    expect(age(undefined, now)).toBe('–');
  });
});
