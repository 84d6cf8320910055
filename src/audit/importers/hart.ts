/**
 * Hart InterCivic Verity CVR XML (namespace `http://tempuri.org/CVRDesign.xsd`): one `<Cvr>` per file
 * (a file whose root holds several `<Cvr>` elements works too) with `CvrGuid`, `BatchNumber`,
 * `BatchSequence`, `SheetNumber`, `PrecinctSplit` and `Contests/Contest` (`Name`, `Id`, `Undervotes`,
 * `Overvotes`, `Options/Option` with `Name`, `Id`, `Value`, or `WriteInData` for a write-in).
 * Hart lists only the options with a mark; an option counts when its `Value` is absent or above 0.
 * Options are keyed by name (Hart ids are per-export GUIDs); the ballot id is the `CvrGuid`.
 */
import { basename } from 'node:path';
import { z } from 'zod';
import { parseWith, type Result } from '../../election/result.ts';
import {
  type ContestDefinition,
  inFile,
  type OfficialBallot,
  type OfficialData,
  totalsFromBallots,
} from '../official.ts';
import { child, childrenNamed, childText, parseXml, type XmlElement } from '../xml.ts';

const Count = z.coerce.number().int().min(0);
const CvrSchema = z.object({
  CvrGuid: z.string().min(1),
  BatchNumber: z.string().optional(),
  BatchSequence: Count.optional(),
  SheetNumber: Count.optional(),
  Contests: z.array(
    z.object({
      Name: z.string().min(1),
      Id: z.string().optional(),
      Overvotes: Count.optional(),
      Options: z.array(z.object({ Name: z.string().min(1), Value: Count.optional() })),
    }),
  ),
});

/** The parts of one `<Cvr>` element we read, as plain data for zod. */
function plainCvr(cvr: XmlElement) {
  return {
    CvrGuid: childText(cvr, 'CvrGuid'),
    BatchNumber: childText(cvr, 'BatchNumber'),
    BatchSequence: childText(cvr, 'BatchSequence'),
    SheetNumber: childText(cvr, 'SheetNumber'),
    Contests: childrenNamed(child(cvr, 'Contests'), 'Contest').map((c) => ({
      Name: childText(c, 'Name'),
      Id: childText(c, 'Id'),
      Overvotes: childText(c, 'Overvotes'),
      Options: childrenNamed(child(c, 'Options'), 'Option').map((o) => ({
        Name: child(o, 'WriteInData') ? 'Write-in' : childText(o, 'Name'),
        Value: childText(o, 'Value'),
      })),
    })),
  };
}

export function importHart(files: { path: string; text: string }[]): Result<OfficialData> {
  const errors: string[] = [];
  const definitions = new Map<string, ContestDefinition>();
  const ballots: OfficialBallot[] = [];
  for (const file of files) {
    const xml = parseXml(file.text, basename(file.path));
    if (!xml.ok) {
      errors.push(...xml.errors);
      continue;
    }
    const cvrs = xml.value.name === 'Cvr' ? [xml.value] : childrenNamed(xml.value, 'Cvr');
    if (cvrs.length === 0) {
      errors.push(...inFile(file.path, [`Expected a <Cvr> element but received <${xml.value.name}>`]));
      continue;
    }
    cvrs.forEach((element, i) => {
      const plain = plainCvr(element);
      const parsed = parseWith(CvrSchema, plain);
      const where = cvrs.length > 1 ? `${basename(file.path)}#Cvr[${i}]` : basename(file.path);
      if (!parsed.ok) {
        errors.push(...parsed.errors.map((e) => `${where}: ${e}`));
        return;
      }
      const cvr = parsed.value;
      const votes: Record<string, string[]> = {};
      const overvoted: string[] = [];
      for (const c of cvr.Contests) {
        let d = definitions.get(c.Name);
        if (!d) {
          d = { key: c.Name, name: c.Name, options: new Map() };
          definitions.set(c.Name, d);
        }
        const chosen = c.Options.filter((o) => o.Value === undefined || o.Value > 0).map((o) => o.Name);
        for (const o of chosen) d.options.set(o, o);
        const over = (c.Overvotes ?? 0) > 0;
        if (over) overvoted.push(c.Name);
        votes[c.Name] = over ? [] : [...new Set(chosen)];
      }
      ballots.push({ ballotId: cvr.CvrGuid, imprintedId: cvr.CvrGuid, votes, overvoted, source: where });
    });
  }
  if (errors.length) return { ok: false, errors };
  return {
    ok: true,
    value: {
      format: 'hart',
      files: files.map((f) => f.path),
      contests: totalsFromBallots(definitions.values(), ballots),
      ballots,
      warnings: [],
    },
  };
}
