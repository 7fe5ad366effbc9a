-- DaVinci Resolve (free edition too: 21.1 made Python scripting Studio-only, Lua still runs):
-- restyle the current timeline through OTIO with the t2vz-edit CLI and open the result.
--
-- Install: copy into Resolve's Scripts/Edit folder; run from Workspace > Scripts.
-- Settings (environment): T2VZ_EDIT_CLI (the t2vz-edit command; default "t2vz-edit"),
-- T2VZ_PRESET (default watercolor) or T2VZ_INSTRUCTION, T2VZ_SELECT=all (default: clips with a
-- "restyle: ..." marker), T2VZ_RENDER_FOLDER (default ~/t2vz_renders), T2VZ_EXTRA (more CLI
-- arguments, space-separated, e.g. "--steps 20 --handles 12").
-- Every API call is checked: Resolve fails by returning nil/false, never by raising.

local function fail(message)
  error(message, 0)  -- main's caller prints it once
end

local function check(value, what)
  if value == nil or value == false then fail("Resolve could not " .. what) end
  return value
end

local windows = package.config:sub(1, 1) == "\\"

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

local function run_cli(args)
  local cli = os.getenv("T2VZ_EDIT_CLI") or "t2vz-edit"
  local parts = {}
  for _, arg in ipairs(args) do parts[#parts + 1] = quote(arg) end
  local pipe = check(io.popen(cli .. " " .. table.concat(parts, " ") .. " --progress json 2>&1"), "start " .. cli)
  local output, message
  for line in pipe:lines() do
    local event = json_string(line, "event")
    if event == "progress" then
      print("t2vz-edit " .. (json_string(line, "stage") or "") .. ": " ..
            (line:match('"done"%s*:%s*(%d+)') or "?") .. "/" .. (line:match('"total"%s*:%s*(%d+)') or "?"))
    elseif event == "done" then
      output = json_string(line, "output")
    elseif event == "error" then
      message = json_string(line, "message")
    elseif line:match("^error: ") then
      message = message or line:sub(8)
    end
  end
  pipe:close()
  if output == nil then fail(message or ("t2vz-edit did not finish; run it in a terminal: " .. cli)) end
  return output
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
  check(timeline:Export(exported, rs.EXPORT_OTIO), "export the timeline as OTIO")
  local args = {"timeline", "restyle", exported, "-o", folder .. "/" .. safe .. "." .. stamp .. ".t2vz.otio",
                os.getenv("T2VZ_SELECT") == "all" and "--all" or "--marker"}
  if os.getenv("T2VZ_INSTRUCTION") then
    table.insert(args, "--instruction")
    table.insert(args, os.getenv("T2VZ_INSTRUCTION"))
  else
    table.insert(args, "--preset")
    table.insert(args, os.getenv("T2VZ_PRESET") or "watercolor")
  end
  for extra in (os.getenv("T2VZ_EXTRA") or ""):gmatch("%S+") do table.insert(args, extra) end
  local output = run_cli(args)
  local restyled = check(pool:ImportTimelineFromFile(output, {timelineName = name .. " (t2vz)"}),
                         "import the restyled timeline " .. output)
  check(project:SetCurrentTimeline(restyled), "open the restyled timeline")
  print("t2vz-edit: opened the restyled timeline " .. output)
end

local ok, err = pcall(main)
if not ok then print("t2vz-edit failed: " .. tostring(err)) end
