import { causeOf, urlForErrors } from './where';

describe('urlForErrors', () => {
  it('drops the user and password and masks credential-like query values', () => {
    expect(
      urlForErrors(
        'https://bot:hunter22@jenkins.kop.example/job/kop/api/json?tree=builds&token=t0k3n&private_token=glpat-1&api_key=k&X-Amz-Signature=s#frag',
      ),
    ).toBe(
      'https://jenkins.kop.example/job/kop/api/json?tree=builds&token=***&private_token=***&api_key=***&X-Amz-Signature=***',
    );
  });

  it('masks the secrets it is given wherever they sit, and copes with what is not a URL', () => {
    expect(
      urlForErrors('https://hooks.kop.example/services/T0/B0/abcd1234', [
        'abcd1234',
      ]),
    ).toBe('https://hooks.kop.example/services/T0/B0/***');
    expect(urlForErrors('//bot:hunter22@host/x', [])).toBe('//host/x');
  });
});

describe('causeOf', () => {
  it("reads the network's words from fetch's cause", () => {
    const refused = Object.assign(
      new Error('connect ECONNREFUSED 127.0.0.1:1'),
      { code: 'ECONNREFUSED' },
    );
    expect(causeOf(new TypeError('fetch failed', { cause: refused }))).toBe(
      'connect ECONNREFUSED 127.0.0.1:1',
    );
  });

  it('names every address a connection to a name was refused at', () => {
    const each = ['::1', '127.0.0.1'].map(a =>
      Object.assign(new Error(`connect ECONNREFUSED ${a}:1`), {
        code: 'ECONNREFUSED',
      }),
    );
    const all = Object.assign(new AggregateError(each, ''), {
      code: 'ECONNREFUSED',
    });
    expect(causeOf(new TypeError('fetch failed', { cause: all }))).toBe(
      'connect ECONNREFUSED ::1:1; connect ECONNREFUSED 127.0.0.1:1',
    );
  });

  it('falls back to the code, the message and the value', () => {
    expect(causeOf(Object.assign(new Error(''), { code: 'EPIPE' }))).toBe(
      'EPIPE',
    );
    expect(causeOf(new Error('socket hang up'))).toBe('socket hang up');
    expect(causeOf('gone')).toBe('gone');
    expect(causeOf(undefined)).toBe('no answer');
  });
});
