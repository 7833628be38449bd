#!/usr/bin/env python3
"""Bytes curses sends for the screens of testsuite/bench-tui.sh.

The reference kvm_stat draws with curses; this replays its drawing calls
(initscr, noecho, cbreak, start_color, curs_set(0), use_default_colors,
then _refresh_header and _refresh_body: erase/clrtobot, addstr of every
row, refresh) in a pty of the bench's size and TERM, and counts the bytes
read from the master side:
  curses_bytes_first_frame     setup, header with "Collecting data...",
                               the first body, and the body 0.25 s later
  curses_bytes_steady_refresh  one body where one counter moved, mean of 5
  curses_bytes_idle_refresh    one body where nothing changed

Usage: bench-curses.py [SCREENS_DIR]
SCREENS_DIR holds `tmux capture-pane -p` texts of our TUI, named first,
steady1..steady5, zero, idle (bench-tui.sh writes them), so curses draws
exactly the text we drew. Without it, the screens are made here from the
bench's fixture (the same counters), the refreshes 1 s apart.
"""
import os
import select
import struct
import sys

ROWS, COLS, TERM = 24, 80, 'screen'
ROW_WIDTH = 67		# len('%-40s %10d%7.1f %8s'), the reference's rows
STEADY = ['steady%d' % i for i in range(1, 6)]


def skip(reason):
	print('curses_bytes: skipped (%s)' % reason)
	sys.exit(0)


try:
	import curses
	import fcntl
	import pty
	import termios
except ImportError as e:
	skip('python3 has no %s module' % e.name)


def fixture_screen(values, deltas, elapsed):
	"""The text the reference shows for these totals (one VM summed)"""
	lines = ['kvm statistics - summary', '',
		' %-40s %10s%7s %8s' % ('Event', 'Total', '%Total', 'CurAvg/s')]
	total = sum(values.values())
	tcur = 0
	order = sorted(values, key=lambda k: (deltas[k], values[k]), reverse=True)
	for key in order:
		cur = int(round(deltas[key] / elapsed))
		tcur += deltas[key]
		lines.append(' %-40s %10d%7.1f %8s'
			% (key, values[key], values[key] * 100.0 / total, cur))
	tavg = int(round(tcur / elapsed)) if tcur > 0 else ''
	lines.append(' %-40s %10d        %8s' % ('Total', total, tavg))
	return lines


def fixture_screens():
	"""bench-tui.sh's fixture: two VMs, then exits += 100 five times"""
	values = {'exits': 1500, 'io_exits': 350, 'halt_exits': 200, 'irq_exits': 7}
	still = dict.fromkeys(values, 0)
	screens = {'first': fixture_screen(values, still, 1.0)}
	for name in STEADY:
		values['exits'] += 100
		moved = dict(still, exits=100)
		screens[name] = fixture_screen(values, moved, 1.0)
	screens['zero'] = screens['idle'] = fixture_screen(values, still, 1.0)
	return screens


def read_screens(path):
	screens = {}
	for name in ['first'] + STEADY + ['zero', 'idle']:
		with open(os.path.join(path, name)) as f:
			screens[name] = f.read().split('\n')
	return screens


def line(screen, row):
	return screen[row].rstrip() if row < len(screen) else ''


def draw_header(scr, screen):
	"""_refresh_header(): title, filter, column header, a waiting note"""
	scr.erase()
	scr.addstr(0, 0, line(screen, 0), curses.A_BOLD)
	if line(screen, 1):
		scr.addstr(1, 17, line(screen, 1)[17:])
	scr.addstr(2, 1, line(screen, 2)[1:], curses.A_STANDOUT)
	scr.addstr(4, 1, 'Collecting data...')
	scr.refresh()


def draw_body(scr, screen, first_total_avg=False):
	"""_refresh_body(): rows from 3 erased, every row written again.

	The Total row's CurAvg/s is blank when nothing moved; we only see it
	trimmed, so it is padded back to the reference's width (bold spaces).
	With first_total_avg, it shows 0, as the reference's first body does
	(its first deltas are the whole totals, divided by the time since 1970).
	"""
	scr.move(3, 0)
	scr.clrtobot()
	for row in range(3, ROWS - 1):
		text = line(screen, row)[1:]
		if not text:
			continue
		if text.startswith('Total '):
			text = text.ljust(ROW_WIDTH)
			if first_total_avg and not text[-8:].strip():
				text = text[:-8] + '%8s' % 0
			scr.addstr(row, 1, text, curses.A_BOLD)
		else:
			scr.addstr(row, 1, text)
	scr.refresh()


def reference(screens, mark):
	"""What the reference does, in order; mark() after each measured part"""
	scr = curses.initscr()
	curses.noecho()
	curses.cbreak()
	try:
		curses.start_color()
	except curses.error:
		pass
	try:
		curses.curs_set(0)
	except curses.error:
		pass
	try:
		curses.use_default_colors()
	except curses.error:
		pass
	draw_header(scr, screens['first'])
	draw_body(scr, screens['first'], first_total_avg=True)
	draw_body(scr, screens['first'])	# 0.25 s later
	mark()
	for name in STEADY:
		draw_body(scr, screens[name])
		mark()
	draw_body(scr, screens['zero'])
	mark()
	draw_body(scr, screens['idle'])
	mark()
	curses.endwin()


def child(screens, mark_w, ack_r):
	def mark():
		os.write(mark_w, b'.')
		os.read(ack_r, 1)

	fcntl.ioctl(0, termios.TIOCSWINSZ, struct.pack('HHHH', ROWS, COLS, 0, 0))
	os.environ['TERM'] = TERM
	for name in ('LINES', 'COLUMNS'):
		os.environ.pop(name, None)
	try:
		reference(screens, mark)
	except Exception as e:
		os.write(mark_w, ('!' + str(e)).encode())
		os._exit(1)
	os._exit(0)


def drain(master, quiet=0.2):
	"""Bytes the pty holds, until none came for QUIET seconds"""
	n = 0
	while select.select([master], [], [], quiet)[0]:
		try:
			data = os.read(master, 65536)
		except OSError:
			break
		if not data:
			break
		n += len(data)
	return n


def measure(screens):
	"""Bytes of each measured part, in the order of reference()'s marks"""
	mark_r, mark_w = os.pipe()
	ack_r, ack_w = os.pipe()
	pid, master = pty.fork()
	if pid == 0:
		child(screens, mark_w, ack_r)
	os.close(mark_w)
	os.close(ack_r)
	parts, n, msg = [], 0, ''
	while True:
		ready = select.select([master, mark_r], [], [], 10)[0]
		if not ready:
			break
		if master in ready:
			n += drain(master, 0)
		if mark_r in ready:
			msg = os.read(mark_r, 4096).decode()
			if not msg or msg.startswith('!'):
				break
			n += drain(master)	# the write is done; the pty may lag
			parts.append(n)
			n = 0
			os.write(ack_w, b'.')
	drain(master)
	os.waitpid(pid, 0)
	if len(parts) != 8:
		skip('curses failed: %s' % (msg[1:] if msg else 'no output'))
	return parts


def main():
	try:
		curses.setupterm(TERM, sys.__stdout__.fileno())
	except (curses.error, ValueError, OSError):
		skip('no terminfo entry for TERM=%s' % TERM)
	screens = read_screens(sys.argv[1]) if len(sys.argv) > 1 else fixture_screens()
	parts = measure(screens)
	print('curses_bytes_first_frame: %d bytes' % parts[0])
	print('curses_bytes_steady_refresh: %d bytes' % (sum(parts[1:6]) // 5))
	print('curses_bytes_idle_refresh: %d bytes' % parts[7])


main()
