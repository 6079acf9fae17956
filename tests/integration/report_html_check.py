#!/usr/bin/python3
"""report_html_check.py - read back what relayguard-ctl report --html drew.

  report_html_check.py charts FILE.html
      one line per mark: SECTION<TAB>SERIES<TAB>LABEL<TAB>VALUE, from the
      data-* attributes of the SVG rects and groups of each section, then
      "empty<TAB>SECTION" for each section that says "no data in this
      period", and "told<TAB>NETWORK<TAB>STATE" per row of #networks
  report_html_check.py png FILE.png
      "WIDTH HEIGHT NONWHITE COLOURS RED GREEN": the size of a PNG (as
      Chromium writes it: 8-bit RGB or RGBA, not interlaced), its pixels
      that are not white, its distinct colours, and its pixels close to
      the report's red (#c0392b) and green (#2e8b57)

Standard library only (html.parser, zlib).
"""
import html.parser
import struct
import sys
import zlib


class Marks(html.parser.HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.section = None
        self.out = []
        self.in_empty = False
        self.row = None
        self.cells = []
        self.cell = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "section":
            self.section = a.get("id")
        elif tag in ("rect", "g") and "data-value" in a:
            self.out.append("\t".join([self.section or "?", a.get("data-series", ""),
                                       a.get("data-label", ""), a["data-value"]]))
        elif tag == "p" and "empty" in (a.get("class") or ""):
            self.in_empty = True
        elif tag == "tr" and self.section == "networks":
            self.row, self.cells = {}, []
        elif tag == "td" and self.row is not None:
            self.cell = ""
            if "data-told" in a:
                self.row["told"] = a["data-told"]

    def handle_data(self, data):
        if self.in_empty and "no data in this period" in data:
            self.out.append("empty\t%s" % self.section)
        if self.cell is not None:
            self.cell += data

    def handle_endtag(self, tag):
        if tag == "p":
            self.in_empty = False
        elif tag == "td" and self.cell is not None:
            self.cells.append(self.cell)
            self.cell = None
        elif tag == "tr" and self.row is not None:
            if "told" in self.row and self.cells:
                self.out.append("told\t%s\t%s" % (self.cells[0], self.row["told"]))
            self.row = None
        elif tag == "section":
            self.section = None


def charts(path):
    p = Marks()
    with open(path, encoding="utf-8") as f:
        p.feed(f.read())
    p.close()
    print("\n".join(p.out))


def paeth(a, b, c):
    p = a + b - c
    pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
    return a if pa <= pb and pa <= pc else b if pb <= pc else c


def png_pixels(path):
    data = open(path, "rb").read()
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        raise SystemExit("%s: not a PNG" % path)
    pos, idat, hdr = 8, b"", None
    while pos < len(data):
        n, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + n]
        if kind == b"IHDR":
            hdr = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            idat += body
        pos += 12 + n
    w, h, depth, ctype, _, _, interlace = hdr
    if depth != 8 or ctype not in (2, 6) or interlace:
        raise SystemExit("%s: PNG kind %d/%d/%d not read here" % (path, depth, ctype, interlace))
    bpp = 3 if ctype == 2 else 4
    raw = zlib.decompress(idat)
    stride = w * bpp
    prev = bytearray(stride)
    rows = []
    for y in range(h):
        f = raw[y * (stride + 1)]
        line = bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        for i in range(stride):
            a = line[i - bpp] if i >= bpp else 0
            b = prev[i]
            c = prev[i - bpp] if i >= bpp else 0
            line[i] = (line[i] + (0, a, b, (a + b) // 2, paeth(a, b, c))[f]) & 0xFF
        rows.append(line)
        prev = line
    return w, h, bpp, rows


def png(path):
    w, h, bpp, rows = png_pixels(path)
    nonwhite, colours, red, green = 0, set(), 0, 0
    for line in rows:
        for i in range(0, len(line), bpp):
            r, g, b = line[i], line[i + 1], line[i + 2]
            colours.add((r, g, b))
            if (r, g, b) != (255, 255, 255):
                nonwhite += 1
            if abs(r - 0xc0) < 12 and abs(g - 0x39) < 12 and abs(b - 0x2b) < 12:
                red += 1
            if abs(r - 0x2e) < 12 and abs(g - 0x8b) < 12 and abs(b - 0x57) < 12:
                green += 1
    print(w, h, nonwhite, len(colours), red, green)


if __name__ == "__main__":
    {"charts": charts, "png": png}[sys.argv[1]](sys.argv[2])
