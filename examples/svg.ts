// A small SVG line chart of the training loss (no dependencies).
export function lossCurveSvg(losses: number[], title: string): string {
  const w = 640;
  const h = 360;
  const pad = 48;
  const max = Math.max(...losses);
  const min = Math.min(0, ...losses);
  const x = (i: number) => pad + ((w - 2 * pad) * i) / Math.max(1, losses.length - 1);
  const y = (v: number) => h - pad - ((h - 2 * pad) * (v - min)) / Math.max(1e-12, max - min);
  const points = losses.map((v, i) => `${x(i).toFixed(1)},${y(v).toFixed(1)}`).join(' ');
  const ticks = [0, 0.25, 0.5, 0.75, 1].map((f) => min + f * (max - min));
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${w}" height="${h}" viewBox="0 0 ${w} ${h}" font-family="sans-serif" font-size="12">
<rect width="${w}" height="${h}" fill="white"/>
<text x="${w / 2}" y="24" text-anchor="middle" font-size="15">${title}</text>
<line x1="${pad}" y1="${h - pad}" x2="${w - pad}" y2="${h - pad}" stroke="#444"/>
<line x1="${pad}" y1="${pad}" x2="${pad}" y2="${h - pad}" stroke="#444"/>
${ticks.map((v) => `<text x="${pad - 6}" y="${y(v) + 4}" text-anchor="end">${v.toFixed(2)}</text><line x1="${pad}" y1="${y(v)}" x2="${w - pad}" y2="${y(v)}" stroke="#eee"/>`).join('\n')}
<text x="${w / 2}" y="${h - 12}" text-anchor="middle">training step (${losses.length} steps)</text>
<text x="14" y="${h / 2}" text-anchor="middle" transform="rotate(-90 14 ${h / 2})">loss</text>
<polyline fill="none" stroke="#1f77b4" stroke-width="1.5" points="${points}"/>
</svg>
`;
}
