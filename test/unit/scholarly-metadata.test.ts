import { describe, expect, it } from 'vitest';
import { modelDocument } from '../../functions/contracts/model-contracts';
import { parseRequestPart } from '../../functions/contracts/request-errors';
import { bareOrcid, doiIn, orcidChecksumValid } from '../../functions/contracts/scholarly-metadata';

const parse = (body: unknown) => parseRequestPart('body', modelDocument, body);

describe('ORCID iD check digits (ISO 7064 MOD 11-2)', () => {
  // ORCID's own examples ("Structure of the ORCID Identifier"), one ending in X.
  it.each(['0000-0002-1825-0097', '0000-0001-5109-3700', '0000-0002-1694-233X'])('accepts %s', (id) => {
    expect(orcidChecksumValid(id)).toBe(true);
  });

  it.each(['0000-0002-1825-0098', '0000-0001-5109-3701', '0000-0002-1694-2330', '0000-0002-1825-009', 'abcd-0002-1825-0097'])('refuses %s', (id) => {
    expect(orcidChecksumValid(id)).toBe(false);
  });
});

describe('the scholarly fields of a model document', () => {
  const full = {
    type: 'onnx',
    title: 'Handwritten digits, a small MLP',
    authors: [
      { name: 'Josiah Carberry', orcid: 'https://orcid.org/0000-0002-1825-0097', affiliation: { name: 'Brown University', ror: '05gq02987' }, role: 'ProjectLeader' },
      { name: 'Ada Lovelace' },
    ],
    license: 'CC-BY-4.0',
    keywords: ['mnist', 'digits'],
    task: 'image-classification',
    related_identifiers: [
      { identifier: '10.5281/zenodo.1234567', identifier_type: 'DOI', relation_type: 'IsDerivedFrom' },
      { identifier: '2101.00001', identifier_type: 'arXiv', relation_type: 'IsDocumentedBy' },
      { identifier: `swh:1:dir:${'a'.repeat(40)}`, identifier_type: 'SWHID', relation_type: 'IsCompiledBy' },
    ],
    funding: [{ funder_name: 'European Research Council', funder_identifier: 'https://ror.org/0472cxd90', award_number: '101001' }],
  };

  it('reads them all, storing ORCID iDs bare, ROR ids as URLs and an author\'s role as creator by default', () => {
    const doc = parse(full);
    expect(doc.authors?.[0]).toEqual({ name: 'Josiah Carberry', orcid: '0000-0002-1825-0097', affiliation: { name: 'Brown University', ror: 'https://ror.org/05gq02987' }, role: 'ProjectLeader' });
    expect(doc.authors?.[1]).toEqual({ name: 'Ada Lovelace', role: 'creator' });
    expect(doc.license).toBe('CC-BY-4.0');
    expect(doc.related_identifiers).toHaveLength(3);
  });

  it('takes an ORCID iD in each URL form and stores it bare, the same form search\'s author= reads (review 13c F3)', () => {
    for (const form of ['http://orcid.org/0000-0002-1825-0097', 'https://orcid.org/0000-0002-1825-0097/', 'HTTPS://ORCID.ORG/0000-0002-1825-0097', 'https://www.orcid.org/0000-0002-1825-0097']) {
      expect(parse({ type: 'onnx', authors: [{ name: 'Josiah Carberry', orcid: form }] }).authors?.[0]?.orcid, form).toBe('0000-0002-1825-0097');
      expect(bareOrcid(form), form).toBe('0000-0002-1825-0097');
    }
    expect(bareOrcid('Lovelace, Ada')).toBe('Lovelace, Ada');
  });

  it('takes an organization as an author, named whole', () => {
    expect(parse({ type: 'onnx', authors: [{ name: 'Google Research and DeepMind', name_type: 'Organizational' }] }).authors)
      .toEqual([{ name: 'Google Research and DeepMind', name_type: 'Organizational', role: 'creator' }]);
  });

  it.each([
    [{ authors: [{ name: 'A', orcid: '0000-0002-1825-0098' }] }, /authors\.0\.orcid has a wrong check digit/],
    [{ authors: [{ name: 'A', orcid: 'https://orcid.org/Ada' }] }, /authors\.0\.orcid must be an ORCID iD such as/],
    [{ authors: [{ name: 'A', orcid: '0000000218250097' }] }, /authors\.0\.orcid must be an ORCID iD such as/],
    [{ authors: [{ name: 'A', affiliation: { name: 'X', ror: 'not-a-ror' } }] }, /authors\.0\.affiliation\.ror must be a ROR id/],
    [{ authors: [{ name: 'A', role: 'Boss' }] }, /authors\.0\.role must be one of creator/],
    [{ authors: [{ name: 'Google Research', name_type: 'Organizational', orcid: '0000-0002-1825-0097' }] }, /authors\.0\.orcid is an ORCID iD, which names a person/],
    [{ authors: [{ name: 'A', name_type: 'Corporate' }] }, /authors\.0\.name_type must be one of Personal, Organizational/],
    [{ authors: [{ orcid: '0000-0002-1825-0097' }] }, /authors\.0\.name/],
    [{ license: 'MIT-ish' }, /license must be an SPDX license id/],
    [{ task: 'Image Classification' }, /task must be a task name/],
    [{ related_identifiers: [{ identifier: 'zenodo', identifier_type: 'DOI', relation_type: 'IsDerivedFrom' }] }, /related_identifiers\.0\.identifier does not have the form/],
    [{ related_identifiers: [{ identifier: '10.1/x', identifier_type: 'ISBN', relation_type: 'IsDerivedFrom' }] }, /identifier_type must be one of DOI, URL, arXiv, SWHID/],
    [{ related_identifiers: [{ identifier: '10.1234/x', identifier_type: 'DOI', relation_type: 'Likes' }] }, /relation_type must be one of/],
    [{ keywords: 'mnist' }, /keywords must be a list/],
    [{ funding: [{ award_number: '1' }] }, /funding\.0\.funder_name/],
  ])('refuses %j, naming the field', (body, message) => {
    expect(() => parse({ type: 'onnx', ...body })).toThrow(message);
  });

  it('takes null to clear a field', () => {
    expect(parse({ title: null, authors: null, license: null })).toMatchObject({ title: null, authors: null, license: null });
  });
});

describe('doiIn (the original MLHub\'s reference field)', () => {
  it.each([
    ['10.5281/zenodo.1234', '10.5281/zenodo.1234'],
    ['doi:10.1000/xyz', '10.1000/xyz'],
    ['https://doi.org/10.1000/ABC', '10.1000/ABC'],
    ['https://dx.doi.org/10.1000/abc', '10.1000/abc'],
    ['see the paper', undefined],
    [null, undefined],
  ])('%s → %s', (reference, doi) => {
    expect(doiIn(reference)).toBe(doi);
  });
});
