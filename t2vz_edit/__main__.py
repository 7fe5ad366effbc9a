from t2vz_edit.cli.app import main

if __name__ == "__main__":
    main()
