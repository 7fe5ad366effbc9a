-- DaVinci Resolve (free edition too: 21.1 made Python scripting Studio-only, Lua still runs):
-- restyle the current timeline through OTIO with the t2vz-edit CLI and open the result.
--
-- Install: copy into Resolve's Scripts/Edit folder; run from Workspace > Scripts.
-- Settings (environment): T2VZ_EDIT_CLI (the t2vz-edit command; default "t2vz-edit"),
-- T2VZ_PRESET (default watercolor) or T2VZ_INSTRUCTION, T2VZ_SELECT=all (default: clips with a
-- "restyle: ..." marker), T2VZ_RENDER_FOLDER (default ~/t2vz_renders), T2VZ_EXTRA (more CLI
-- arguments, space-separated, e.g. "--steps 20 --handles 12").
-- Every API call is checked: Resolve fails by returning nil/false, never by raising.
--
-- Resolve stays usable while the CLI renders (Linux, macOS): Lua 5.1 cannot read a pipe without
-- waiting, so the CLI is started in the background by bash (its own process group, `set -m`),
-- its JSON-lines events go to a temp file, its pid and exit code to two more; a Fusion UIManager
-- window (fu.UIManager, bmd.UIDispatcher) with a ui:Timer reads the new event lines on each
-- Timeout, shows the stage and a bar, and once the exit code is written imports the result the
-- way the Python action does (ImportTimelineFromFile as "<name> (t2vz)", SetCurrentTimeline).
-- Cancel sends SIGINT to the CLI's process group (SIGKILL after 30 s), which removes its partial
-- files; the script removes the output and the exported timeline. No handler ever waits.
-- Windows, or no UIManager (run outside the Scripts menu): the script waits for the CLI and
-- prints progress on the Console (no window, no Cancel).

local function fail(message)
  error(message, 0)  -- main's caller prints it once
end

local function check(value, what)
  if value == nil or value == false then fail("Resolve could not " .. what) end
  return value
end

local windows = package.config:sub(1, 1) == "\\"
local POLL_MS = 200        -- how often the window reads the CLI's events
local BAR_MAX = 1000       -- UIManager has no progress bar: a disabled Slider shows the stage's fraction
local CANCEL_GRACE_SEC = 30  -- SIGINT lands after the running torch op; then the process group is killed

local function quote(arg)
  if windows then return '"' .. arg:gsub('"', '\\"') .. '"' end
  return "'" .. arg:gsub("'", "'\\''") .. "'"
end

-- the value of a string field in one JSON line (enough for the protocol's flat events)
local function json_string(line, key)
  local value = line:match('"' .. key .. '"%s*:%s*"(.-[^\\])"') or line:match('"' .. key .. '"%s*:%s*""')
  if value == nil then return nil end
  return (value:gsub('\\"', '"'):gsub("\\\\", "\\"))
end

local function json_number(line, key)
  return tonumber(line:match('"' .. key .. '"%s*:%s*(%d+)'))
end

-- one line of the CLI's stdout into the run's state; returns a progress text or nil
local function read_event(state, line)
  local event = json_string(line, "event")
  if event == "progress" then
    local done, total = json_number(line, "done"), json_number(line, "total")
    state.fraction = (done and total and total > 0) and math.min(done / total, 1) or state.fraction
    state.text = (json_string(line, "stage") or "") .. " " .. (done or "?") .. "/" .. (total or "?")
    return state.text
  elseif event == "done" then
    state.output = json_string(line, "output")
  elseif event == "error" then
    state.message = json_string(line, "message")
  elseif line:match("^error: ") then
    state.message = state.message or line:sub(8)
  end
end

local function cli_command(args)
  local cli = os.getenv("T2VZ_EDIT_CLI") or "t2vz-edit"
  local parts = {}
  for _, arg in ipairs(args) do parts[#parts + 1] = quote(arg) end
  return cli .. " " .. table.concat(parts, " ") .. " --progress json"
end

local function finished(state, cli)
  if state.output == nil then fail(state.message or ("t2vz-edit did not finish; run it in a terminal: " .. cli)) end
  return state.output
end

-- waiting for the CLI (Windows; outside the Scripts menu): progress on the Console
local function run_cli_waiting(args)
  local pipe = check(io.popen(cli_command(args) .. " 2>&1"), "start t2vz-edit")
  local state = {}
  for line in pipe:lines() do
    local text = read_event(state, line)
    if text then print("t2vz-edit " .. text) end
  end
  pipe:close()
  return finished(state, os.getenv("T2VZ_EDIT_CLI") or "t2vz-edit")
end

local function read_file(path)
  local handle = io.open(path, "r")
  if handle == nil then return nil end
  local text = handle:read("*a")
  handle:close()
  return text
end

-- The CLI in the background (bash: `set -m` gives it its own process group, with SIGINT at its default,
-- which a plain `&` would ignore). Returns the run: its temp files, pid, and read position.
local function start_background(args)
  local base = os.tmpname()  -- an empty file only this run uses: the prefix of its other files
  local run = {base = base, events = base .. ".events", errors = base .. ".stderr", code = base .. ".code",
               pidfile = base .. ".pid", offset = 0, pending = "", state = {fraction = 0}}
  local job = "{ " .. cli_command(args) .. " <" .. quote("/dev/null") .. " >" .. quote(run.events) .. " 2>" ..
              quote(run.errors) .. "; echo $? >" .. quote(run.code .. ".tmp") .. "; mv " ..
              quote(run.code .. ".tmp") .. " " .. quote(run.code) .. "; } & echo $! >" .. quote(run.pidfile)
  os.execute("bash -c " .. quote("set -m; " .. job))
  run.pid = tonumber(read_file(run.pidfile) or "")
  if run.pid == nil then fail("could not start t2vz-edit in the background (is bash installed?)") end
  return run
end

-- new complete lines of the event file since the last call (never waits)
local function new_lines(run)
  local handle = io.open(run.events, "r")
  if handle == nil then return {} end
  handle:seek("set", run.offset)
  local chunk = handle:read("*a") or ""
  handle:close()
  run.offset = run.offset + #chunk
  local text, lines = run.pending .. chunk, {}
  local last = 1
  for line, after in text:gmatch("([^\n]*)\n()") do
    lines[#lines + 1] = line
    last = after
  end
  run.pending = text:sub(last)
  return lines
end

local function exit_code(run)
  return tonumber(read_file(run.code) or "")
end

-- whether any process of the CLI's group still runs (an exited one that nobody reaped yet does not count)
local function group_alive(run)
  if exit_code(run) ~= nil then return false end
  local pipe = io.popen("ps -eo pgid=,stat=")
  if pipe == nil then return false end
  local alive = false
  for line in pipe:lines() do
    local pgid, stat = line:match("^%s*(%d+)%s+(%S+)")
    if tonumber(pgid) == run.pid and stat:sub(1, 1) ~= "Z" then alive = true end
  end
  pipe:close()
  return alive
end

local function signal_group(run, signal)
  os.execute("kill -" .. signal .. " -" .. run.pid .. " 2>/dev/null")  -- -PID: the whole process group
end

local function remove_run_files(run)
  for _, path in ipairs({run.events, run.errors, run.code, run.code .. ".tmp", run.pidfile, run.base}) do
    os.remove(path)
  end
end

-- after a cancel: the output, its sidecar and partial files (`.<stem>.t2vz-partial-*<ext>`) beside it;
-- a path ending in "/" is a folder this run made, removed when empty
local function remove_outputs(paths)
  for _, path in ipairs(paths) do
    if path:sub(-1) == "/" then
      os.execute("rmdir " .. quote(path) .. " 2>/dev/null")
    end
    local folder, stem, ext = path:match("^(.*)/([^/]-)(%.[^./]*)$")
    os.remove(path)
    os.remove(path .. ".json")
    if folder then
      os.execute("rm -rf " .. quote(folder) .. "/" .. quote("." .. stem .. ".t2vz-partial-") .. "*" .. quote(ext))
    end
  end
end

-- the outcome of an ended run: the written path, or an error naming why
local function run_result(run, cli)
  for _, line in ipairs(new_lines(run)) do read_event(run.state, line) end
  if run.state.output == nil and run.state.message == nil then
    for line in (read_file(run.errors) or ""):gmatch("[^\n]+") do read_event(run.state, line) end
  end
  if exit_code(run) ~= 0 and run.state.output then run.state.output = nil end
  if run.state.output == nil and run.state.message == nil then
    run.state.message = "t2vz-edit exited with code " .. tostring(exit_code(run)) .. "; run it in a terminal: " .. cli
  end
  return finished(run.state, cli)
end

-- the window (title, status, a bar, the Cancel/Close button) and its poll timer
local function build_window(ui, disp, title)
  local win = disp:AddWindow({ID = "t2vzRestyle", WindowTitle = "t2vz-edit", Geometry = {200, 200, 480, 140},
    ui:VGroup{
      ui:Label{ID = "Title", Text = title, WordWrap = true},
      ui:Label{ID = "Status", Text = "starting t2vz-edit", WordWrap = true},
      ui:Slider{ID = "Bar", Minimum = 0, Maximum = BAR_MAX, Value = 0, Enabled = false},
      ui:HGroup{ui:Button{ID = "Cancel", Text = "Cancel"}},
    }})
  return win, win:GetItems(), ui:Timer{ID = "t2vzPoll", Interval = POLL_MS, SingleShot = false}
end

-- The progress window: a Timer reads the CLI's events; Cancel stops it; the result is placed by `place`.
-- The CLI starts once the window is built (a window that cannot be built leaves no CLI running).
local function run_in_window(fu, bmd, title, args, removable, place)
  local ui = fu.UIManager
  local disp = bmd.UIDispatcher(ui)
  local cli = os.getenv("T2VZ_EDIT_CLI") or "t2vz-edit"
  local win, items, timer = build_window(ui, disp, title)
  local status, message, kill_at, exit_when_cancelled = "running", "", nil, false
  local run = start_background(args)

  local function show(text, fraction)
    local value = math.floor(fraction * BAR_MAX + 0.5)
    if items.Status.Text ~= text then items.Status.Text = text end
    if items.Bar.Value ~= value then items.Bar.Value = value end
  end

  local function finish(new_status, text, fraction)
    timer:Stop()
    status, message = new_status, text
    show(text, fraction)
    items.Cancel.Text = "Close"
    items.Cancel.Enabled = true
  end

  local function cancel()
    signal_group(run, "INT")
    status, kill_at = "cancelling", os.time() + CANCEL_GRACE_SEC
    show("cancelling: waiting for t2vz-edit to stop", run.state.fraction)
    items.Cancel.Enabled = false
  end

  local function step()
    for _, line in ipairs(new_lines(run)) do read_event(run.state, line) end
    if exit_code(run) == nil then
      show(run.state.text or "starting t2vz-edit", run.state.fraction)
      return
    end
    status = "placing"  -- placed once: later ticks do nothing
    timer:Stop()
    local ok, result = pcall(function() return place(run_result(run, cli)) end)
    if ok then finish("placed", result, 1) else finish("failed", "failed: " .. tostring(result), run.state.fraction) end
  end

  function disp.On.Timeout(ev)
    if status == "running" then
      step()
    elseif status == "cancelling" then
      if group_alive(run) then
        if os.time() >= kill_at then signal_group(run, "KILL") end
        return
      end
      remove_outputs(removable)
      finish("cancelled", "cancelled; nothing was written and the timeline is unchanged", 0)
      if exit_when_cancelled then disp:ExitLoop() end
    end
  end

  function win.On.Cancel.Clicked(ev)
    if status == "running" then
      cancel()
    elseif status == "placed" or status == "failed" or status == "cancelled" then  -- the button reads Close
      disp:ExitLoop()
    end
  end

  win.On.t2vzRestyle.Close = function(ev)
    if status == "running" or status == "cancelling" then
      exit_when_cancelled = true  -- never leave the CLI running or its files behind
      if status == "running" then cancel() end
    else
      disp:ExitLoop()
    end
  end

  win:Show()
  timer:Start()
  local ok, err = pcall(function() disp:RunLoop() end)
  timer:Stop()
  win:Hide()
  if status == "running" or status == "cancelling" then  -- the loop ended early: stop the CLI all the same
    signal_group(run, "INT")
    remove_outputs(removable)
  end
  remove_run_files(run)
  if not ok then fail(err) end
  if status == "placed" then print("t2vz-edit: " .. message) else print("t2vz-edit " .. message) end
  return status == "placed"
end

local function main()
  local rs = resolve or Resolve()
  local project = check(check(rs:GetProjectManager(), "reach the project manager"):GetCurrentProject(),
                        "find an open project")
  local timeline = check(project:GetCurrentTimeline(), "find a current timeline (open one)")
  local pool = check(project:GetMediaPool(), "reach the media pool")
  local name = check(timeline:GetName(), "read the timeline name")
  local home = os.getenv("HOME") or os.getenv("USERPROFILE") or "."
  local folder = os.getenv("T2VZ_RENDER_FOLDER") or (home .. "/t2vz_renders")
  os.execute((windows and "mkdir " or "mkdir -p ") .. quote(folder))
  local safe = name:gsub("[^%w._-]+", "_")
  local stamp = os.date("%Y%m%d-%H%M%S")
  local exported = folder .. "/" .. safe .. "." .. stamp .. ".otio"
  local output = folder .. "/" .. safe .. "." .. stamp .. ".t2vz.otio"
  check(timeline:Export(exported, rs.EXPORT_OTIO), "export the timeline as OTIO")
  local args = {"timeline", "restyle", exported, "-o", output,
                os.getenv("T2VZ_SELECT") == "all" and "--all" or "--marker"}
  if os.getenv("T2VZ_INSTRUCTION") then
    table.insert(args, "--instruction")
    table.insert(args, os.getenv("T2VZ_INSTRUCTION"))
  else
    table.insert(args, "--preset")
    table.insert(args, os.getenv("T2VZ_PRESET") or "watercolor")
  end
  for extra in (os.getenv("T2VZ_EXTRA") or ""):gmatch("%S+") do table.insert(args, extra) end

  -- the same placement as the Python action (t2vz_resolve.TimelineJob.place)
  local function place(written)
    local new_name = name .. " (t2vz)"
    local restyled = check(pool:ImportTimelineFromFile(written, {timelineName = new_name}),
                           "import the restyled timeline " .. written)
    check(project:SetCurrentTimeline(restyled), "open the restyled timeline")
    return "opened the restyled timeline " .. new_name
  end

  local ui_host = fu or fusion
  if ui_host and bmd and not windows then
    local title = "timeline " .. name .. ": " .. output
    local removable = {output, exported}
    local renders = folder .. "/renders/"  -- the CLI's default folder for the clip renders
    if not os.rename(renders, renders) then removable[#removable + 1] = renders end  -- did not exist before
    return run_in_window(ui_host, bmd, title, args, removable, place)
  end
  print("t2vz-edit: " .. place(run_cli_waiting(args)))
  return true
end

local ok, err = pcall(main)
if not ok then print("t2vz-edit failed: " .. tostring(err)) end
