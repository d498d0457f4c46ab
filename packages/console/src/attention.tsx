/**
 * Getting the operator's attention when a chat arrives: a short beep (WebAudio, so no audio
 * file to ship) and the unread count in the tab title, flashing for a while after a new chat.
 */
import { useEffect } from 'preact/hooks';
import { titleFor } from './format.js';

let audio: AudioContext | null = null;

/** A short two-tone beep. Browsers refuse audio before the first user gesture: that is ignored. */
export function beep(): void {
  try {
    audio ??= new AudioContext();
    if (audio.state === 'suspended') void audio.resume().catch(() => {});
    const t = audio.currentTime;
    const gain = audio.createGain();
    gain.gain.setValueAtTime(0.0001, t);
    gain.gain.exponentialRampToValueAtTime(0.2, t + 0.02);
    gain.gain.exponentialRampToValueAtTime(0.0001, t + 0.35);
    gain.connect(audio.destination);
    const osc = audio.createOscillator();
    osc.type = 'sine';
    osc.frequency.setValueAtTime(880, t);
    osc.frequency.setValueAtTime(1320, t + 0.12);
    osc.connect(gain);
    osc.start(t);
    osc.stop(t + 0.36);
  } catch {
    /* no audio device or autoplay refused: the title badge still shows */
  }
}

/** How long the title flashes after a new chat (ms). */
export const FLASH_MS = 10_000;

/** Keeps `document.title` in step with the unread count, flashing until `flashUntil`. */
export function useTitle(unread: number, flashUntil: number, now: number): void {
  const flashing = now < flashUntil && Math.floor(now / 1000) % 2 === 0;
  const title = titleFor(unread, flashing);
  useEffect(() => {
    document.title = title;
  }, [title]);
  useEffect(() => () => void (document.title = 'Parley'), []);
}
