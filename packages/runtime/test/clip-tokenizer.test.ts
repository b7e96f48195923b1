import { describe, expect, it } from 'vitest';
import { ClipTokenizer } from '../src/index.js';
import { fixtureBytes } from './helpers.js';

describe('ClipTokenizer (stand-in vocabulary)', async () => {
  const vocabBytes = await fixtureBytes('sd/tokenizer/vocab.json');
  const vocab = JSON.parse(new TextDecoder().decode(vocabBytes)) as Record<string, number>;
  const tok = ClipTokenizer.fromFiles(vocabBytes, await fixtureBytes('sd/tokenizer/merges.txt'));

  it('merges whole words and marks word ends', () => {
    expect(tok.tokenize('A  photo of a CAT')).toEqual(['a</w>', 'photo</w>', 'of</w>', 'a</w>', 'cat</w>']);
    // no merges for "zq": byte symbols, the last with </w>; punctuation is its own word
    expect(tok.tokenize('zq, red!')).toEqual(['z', 'q</w>', ',</w>', 'red</w>', '!</w>']);
    // non-ASCII goes through the byte table: "é" is two UTF-8 bytes
    expect(tok.tokenize('é')).toEqual(['Ã', '©</w>']);
  });

  it('wraps ids in start/end tokens and pads to 77', () => {
    const ids = tok.encode('a red shoe');
    expect(ids).toHaveLength(77);
    expect([...ids.slice(0, 6)]).toEqual([
      vocab['<|startoftext|>'],
      vocab['a</w>'],
      vocab['red</w>'],
      vocab['shoe</w>'],
      vocab['<|endoftext|>'],
      vocab['<|endoftext|>'],
    ]);
    expect(tok.encode('')[1]).toBe(tok.eosId);
    const long = tok.encode('a '.repeat(100));
    expect(long[76]).toBe(tok.eosId);
    expect(long[75]).toBe(vocab['a</w>']);
  });
});
