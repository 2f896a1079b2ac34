import { describe, expect, it } from 'vitest';
import { NEGOTIATED_MEDIA_TYPES, negotiate } from '../../../functions/landing/representations';

/* Which representation an Accept header gets (functions/landing/representations.ts), by negotiator. */

describe('negotiate', () => {
  it('answers JSON to no Accept, a blank one, */* and application/*, as before content negotiation', () => {
    for (const accept of [undefined, '', '  ', '*/*', 'application/*', 'application/json', 'application/json; charset=utf-8', 'APPLICATION/JSON']) {
      expect(negotiate(accept), String(accept)).toEqual({ kind: 'json' });
    }
  });

  it('answers each media type of the table', () => {
    expect(negotiate('text/html')).toEqual({ kind: 'html' });
    expect(negotiate('application/ld+json')).toEqual({ kind: 'jsonld' });
    expect(negotiate('application/x-bibtex')).toMatchObject({ kind: 'citation', format: 'bibtex' });
    expect(negotiate('application/x-research-info-systems')).toMatchObject({ kind: 'citation', format: 'ris' });
    expect(negotiate('application/vnd.citationstyles.csl+json')).toMatchObject({ kind: 'citation', format: 'csl-json' });
    expect(negotiate('application/vnd.datacite.datacite+json')).toMatchObject({ kind: 'citation', format: 'datacite-json' });
  });

  it('leaves out a range whose weight is not a qvalue, as the download route does', () => {
    expect(negotiate('application/x-bibtex;q=1.5, application/x-research-info-systems;q=0.5')).toMatchObject({ format: 'ris' });
    expect(negotiate('application/x-bibtex;q=abc, text/html;q=0.2')).toEqual({ kind: 'html' });
    // None left: as no Accept at all.
    expect(negotiate('application/x-bibtex;q=abc')).toEqual({ kind: 'json' });
  });

  it('takes every type back with the charset MLHub answers it in', () => {
    expect(negotiate('application/x-bibtex; charset=utf-8')).toMatchObject({ kind: 'citation', format: 'bibtex' });
    expect(negotiate('application/vnd.citationstyles.csl+json; charset=utf-8')).toMatchObject({ kind: 'citation', format: 'csl-json' });
    expect(negotiate('text/html; charset=utf-8')).toEqual({ kind: 'html' });
    expect(negotiate('text/x-bibliography; style=ieee; charset=utf-8')).toEqual({ kind: 'citation', format: 'text', style: 'ieee' });
    expect(() => negotiate('application/x-bibtex; profile=x')).toThrow(expect.objectContaining({ code: 'not_acceptable' }));
  });

  it('reads text/x-bibliography\'s style by MLHub\'s name or the CSL id, en-US only', () => {
    expect(negotiate('text/x-bibliography')).toEqual({ kind: 'citation', format: 'text', style: 'apa' });
    expect(negotiate('text/x-bibliography; style=apa; locale=en-US')).toEqual({ kind: 'citation', format: 'text', style: 'apa' });
    expect(negotiate('text/x-bibliography; style=ieee')).toEqual({ kind: 'citation', format: 'text', style: 'ieee' });
    expect(negotiate('text/x-bibliography; locale=en-US; style=chicago-author-date')).toEqual({ kind: 'citation', format: 'text', style: 'chicago' });
    expect(negotiate('text/x-bibliography; style=harvard1')).toEqual({ kind: 'citation', format: 'text', style: 'harvard' });
    expect(() => negotiate('text/x-bibliography; locale=fr-FR')).toThrow(expect.objectContaining({ code: 'not_acceptable' }));
    expect(() => negotiate('text/x-bibliography; style=mla')).toThrow(expect.objectContaining({ code: 'not_acceptable' }));
  });

  it('honours q-values, then specificity, then the header\'s order', () => {
    expect(negotiate('text/html;q=0.5, application/x-bibtex')).toMatchObject({ format: 'bibtex' });
    expect(negotiate('application/x-bibtex;q=0.4, application/x-research-info-systems;q=0.6')).toMatchObject({ format: 'ris' });
    expect(negotiate('application/x-research-info-systems, application/x-bibtex')).toMatchObject({ format: 'ris' });
    expect(negotiate('application/x-bibtex, application/x-research-info-systems')).toMatchObject({ format: 'bibtex' });
    expect(negotiate('*/*;q=0.1, application/ld+json;q=0.2')).toEqual({ kind: 'jsonld' });
    expect(negotiate('application/json;q=0, */*')).toEqual({ kind: 'html' });
    expect(negotiate('text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8')).toEqual({ kind: 'html' });
  });

  it('refuses with 406 what it does not answer, listing every type it does, the header quoted visibly', () => {
    for (const accept of ['image/png', 'application/json;q=0', 'application/ld+json; profile="http://www.w3.org/ns/json-ld#expanded"', 'text/plain']) {
      let thrown: unknown;
      try {
        negotiate(accept);
      } catch (error) {
        thrown = error;
      }
      expect(thrown, accept).toMatchObject({ kind: 'not_acceptable', code: 'not_acceptable' });
      for (const type of NEGOTIATED_MEDIA_TYPES) expect((thrown as Error).message).toContain(type);
    }
    expect(() => negotiate('image/png\u202e')).toThrow(/image\/png\\u\{202E\}/);
  });
});
